# iptables-nft rules (run by generate with IPT=iptables-nft, IP6T=ip6tables-nft).
$IPT -A INPUT -p udp --dport 9001 -j DROP
$IPT -A INPUT -s 192.0.2.1/32 -p udp --dport 9002 -j DROP
$IPT -A INPUT -s 203.0.113.1/32 -p udp --dport 9003 -j DROP
$IPT -A INPUT -i eth0 -p udp --dport 9004 -j REJECT
$IPT -A INPUT -p udp -m conntrack --ctstate NEW --dport 9005 -j DROP
$IPT -A INPUT -p udp -m comment --comment tunnel --dport 9006 -j ACCEPT
$IPT -A INPUT -p udp --dport 9006 -j DROP
$IPT -N GUARD
$IPT -A GUARD -p udp --dport 9007 -j DROP
$IPT -A INPUT -j GUARD
$IPT -A INPUT -p udp --dport 9008 -j LOG
$IP6T -A INPUT -p udp --dport 9001 -j REJECT
