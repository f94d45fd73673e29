#!/bin/bash
# The seed's Alice/Bob example with plain iproute2: two namespaces joined by
# a veth underlay; in each, an ipip+FOU tunnel whose "remote" is a custom
# link (two socat relays, see custom_link in lib.sh) to the other namespace.
#
#   alice 10.0.1.2 -- fou1 -> 127.0.0.1:2002 -> relay -> 192.168.77.2:3000
#   bob: 192.168.77.2:3000 -> relay -> 127.0.0.1:2001 (FOU port) -> fou1
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

netns_add alice
netns_add bob
veth_pair alice ul0 192.168.77.1/24 bob ul0 192.168.77.2/24
ping_all alice 192.168.77.2 -c 1 -W 2

log "custom link in both namespaces"
custom_link alice 192.168.77.1 192.168.77.2
custom_link bob 192.168.77.2 192.168.77.1

log "the link keeps datagram boundaries (alice -> bob)"
sizes=(1 64 1000 1472 9000)
rec=/tmp/recorder.log
# socat -v logs one "length=N" line per read, and a UDP read is one datagram.
ip netns exec bob timeout 30 socat -u -v -b 65536 UDP-RECV:2001,bind=127.0.0.1 \
    OPEN:/dev/null 2>"$rec" &
recorder=$!
on_exit kill "$recorder"
wait_udp_port bob 2001
for n in "${sizes[@]}"; do
    check dd if=/dev/zero of=/tmp/dgram bs="$n" count=1 status=none
    check in_ns alice socat -u -b 65536 OPEN:/tmp/dgram UDP-SENDTO:127.0.0.1:2002
done
for ((i = 0; i < 50; i++)); do
    (($(grep -c 'length=' "$rec") >= ${#sizes[@]})) && break
    sleep 0.1
done
kill "$recorder"
wait "$recorder" || true
got=$(sed -nE 's/.* length=([0-9]+) .*/\1/p' "$rec" | tr '\n' ' ')
echo "sent ${sizes[*]}; received $got"
[[ $got == "${sizes[*]} " ]] ||
    fail "bob received datagrams of sizes '$got', sent '${sizes[*]}'"

log "FOU tunnels"
check modprobe fou
for side in alice:10.0.1.2:10.0.2.2 bob:10.0.2.2:10.0.1.2; do
    IFS=: read -r ns self peer <<<"$side"
    check ip -n "$ns" link add fou1 type ipip remote 127.0.0.1 local 127.0.0.1 \
        ttl 64 encap fou encap-sport auto encap-dport 2002
    check ip -n "$ns" link set fou1 mtu 100 up
    check ip -n "$ns" fou add port 2001 ipproto 4
    check ip -n "$ns" addr add "$self/32" dev fou1
    check ip -n "$ns" route add "$peer/32" dev fou1
done

log "ping across the tunnel"
ping_all alice 10.0.2.2
ping_all bob 10.0.1.2
log "ping -s 128: two fragments per packet at MTU 100"
ping_all alice 10.0.2.2 -c 3 -W 2 -s 128
ping_all bob 10.0.1.2 -c 10 -i 0.05 -W 2 -s 128

rx=$(in_ns bob cat /sys/class/net/fou1/statistics/rx_packets)
((rx >= 16)) || fail "bob's fou1 received only $rx packets; the pings took another path"
