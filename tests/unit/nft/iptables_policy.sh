# iptables-nft with policy DROP: conntrack's ESTABLISHED accept is an opaque xt match.
$IPT -P INPUT DROP
$IPT -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
$IPT -A INPUT -p udp --dport 9100 -j ACCEPT
