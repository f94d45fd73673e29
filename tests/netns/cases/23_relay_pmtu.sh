#!/bin/bash
# Path MTU through the relay: the veth underlay carries only 1200 bytes while A's tunnel
# is given MTU 1472, so packets of 1173..1472 bytes fit the TUN but not the path. First B
# gives none and takes it from the underlay (1200 - 28 = 1172), then, so that TCP's MSS
# does not already fit the path, B is given 1472 too.
# The relay must answer such a packet with ICMP "fragmentation needed" (mtu 1200 - 28 =
# 1172) into the TUN and count it too_big; ping -M do must see that; and TCP through the
# tunnel must adapt to it and move 4 MiB intact in bounded time.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v socat >/dev/null || skip "socat is not installed"
id=${FOUCTL_TEST_ID:-fx}
a=${id}pmtuA b=${id}pmtuB tmp=/tmp/${id}pmtu
port=9123
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.123.1/24 "$b" ul0 192.168.123.2/24
check ip -n "$a" link set ul0 mtu 1200
check ip -n "$b" link set ul0 mtu 1200
on_exit rm -f "$tmp".in "$tmp".out

on_exit in_ns "$a" fouctl down "$port"
on_exit in_ns "$b" fouctl down "$port"
check in_ns "$a" fouctl -q up "$port" "$port" 172.30.23.2 1472 --peer 192.168.123.2 \
    --local 192.168.123.1 --address 172.30.23.1 --mode userspace
up_err=$(in_ns "$b" fouctl up "$port" "$port" 172.30.23.1 --peer 192.168.123.1 \
    --local 192.168.123.2 --address 172.30.23.2 --mode userspace 2>&1) || fail "B's up failed: $up_err"
[[ $(ip -n "$a" link show fou$port) == *"mtu 1472 "* ]] || fail "the tunnel MTU is not 1472"
[[ $(ip -n "$b" link show fou$port) == *"mtu 1172 "* ]] ||
    fail "B's tunnel did not take its MTU from the underlay: $(ip -n "$b" link show fou$port)"
[[ $up_err == *"MTU 1172: ul0's MTU 1200 less 28 (IPv4 20, UDP 8)"* ]] ||
    fail "up did not say where the MTU came from: $up_err"
st=$(in_ns "$b" fouctl status) || fail "status failed"
[[ $st == *"mtu:          1172 (from the underlay: ul0's MTU 1200 less 28 (IPv4 20, UDP 8))"* ]] ||
    fail "status does not say where the MTU came from: $st"
[[ $(in_ns "$a" fouctl status) == *"mtu:          1472 (given)"* ]] || fail "A's MTU is not shown as given"
json=$(in_ns "$b" fouctl status --json) || fail "status --json failed"
[[ $(jq -r '.tunnels[0] | "\(.mtu) \(.mtu_auto) \(.encap)"' <<<"$json") == "1172 true fou" ]] ||
    fail "status --json: $(jq -c '.tunnels[0] | {mtu, mtu_auto, mtu_source, encap}' <<<"$json")"
check in_ns "$b" fouctl -q down "$port"
check in_ns "$b" fouctl -q up "$port" "$port" 172.30.23.1 1472 --peer 192.168.123.1 \
    --local 192.168.123.2 --address 172.30.23.2 --mode userspace
ping_all "$a" 172.30.23.2
ping_all "$a" 172.30.23.2 -c 2 -W 2 -M "do" -s 1144   # 1172 bytes: the largest that fits

log "ping -M do -s 1300 (a 1328-byte packet, a 1356-byte datagram on a 1200-byte path)"
rc=0
out=$(in_ns "$a" ping -n -c 3 -i 0.3 -W 1 -M "do" -s 1300 172.30.23.2 2>&1) || rc=$?
printf '%s\n' "$out"
((rc != 0)) || fail "a 1328-byte DF ping crossed a 1200-byte underlay"
grep -qiE 'frag needed.*mtu = 1172|message too long, mtu=1172' <<<"$out" ||
    fail "ping did not learn mtu 1172 from the relay (exit $rc)"
status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {counters, drops: .relay.drops}' <<<"$status"
too_big=$(jq '.tunnels[0].relay.drops.too_big' <<<"$status")
echo "A's relay: too_big $too_big"
((too_big > 0)) || fail "A's relay counted no too_big drops"
ip -n "$a" route get 172.30.23.2 | sed 's/^/route cache: /'
ip -n "$a" route get 172.30.23.2 | grep -q 'mtu 1172' ||
    fail "A's kernel did not cache path MTU 1172 for 172.30.23.2"

log "4 MiB over TCP A -> B: segments sized for 1472 must shrink to the path"
# A's kernel has cached mtu 1172 for B from the ping; forget it, so that this transfer
# starts with 1472-byte segments and has to learn the path MTU from the relay on its own.
check ip -n "$a" route flush cache
ip -n "$a" route get 172.30.23.2 | sed 's/^/route cache: /'
! ip -n "$a" route get 172.30.23.2 | grep -q 'mtu 1172' || fail "cannot flush A's route cache"
check dd if=/dev/urandom of="$tmp".in bs=1M count=4 status=none
ip netns exec "$b" timeout 60 socat -u TCP-LISTEN:9124,bind=172.30.23.2,reuseaddr \
    CREATE:"$tmp".out &
on_exit kill "$!"
sink=$!
wait_tcp_port "$b" 9124
too_big_before=$too_big
start=$(date +%s%N)
check in_ns "$a" timeout 60 socat -u OPEN:"$tmp".in TCP:172.30.23.2:9124
wait "$sink" || fail "the receiving socat failed"
ms=$((($(date +%s%N) - start) / 1000000))
want=$(sha256sum <"$tmp".in)
got=$(sha256sum <"$tmp".out)
echo "sent $want"
echo "got  $got"
echo "took $ms ms"
[[ $want == "$got" ]] || fail "checksums differ"
status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {counters, drops: .relay.drops}' <<<"$status"
too_big=$(jq '.tunnels[0].relay.drops.too_big' <<<"$status")
echo "A's relay: too_big $too_big_before -> $too_big during the transfer"
((too_big > too_big_before)) || fail "the TCP transfer never hit the path MTU: the test proves nothing"
ip -n "$a" route get 172.30.23.2 | grep -q 'mtu 1172' ||
    fail "after the transfer A's kernel has no path MTU 1172 for 172.30.23.2"
