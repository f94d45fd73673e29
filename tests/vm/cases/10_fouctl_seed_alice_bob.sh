#!/bin/bash
# The seed README's Alice/Bob example, verbatim, with fouctl instead of udp-tunnel.sh:
# Alice has 10.0.1.2, Bob has 10.0.2.2; on each side a custom link carries UDP payloads
# sent to 127.0.0.1:2002 to the other side's 127.0.0.1:2001, and delivers at most 100
# bytes per datagram's payload. Then: ping, ping -s 128 (fragments), status, idempotent
# re-run, teardown leaving nothing behind.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add alice
netns_add bob
veth_pair alice ul0 192.168.77.1/24 bob ul0 192.168.77.2/24
# The hosts' own addresses, on their "LAN" (here: lo), as in the seed.
check ip -n alice addr add 10.0.1.2/32 dev lo
check ip -n bob addr add 10.0.2.2/32 dev lo
snapshot /tmp/alice.before alice
snapshot /tmp/bob.before bob
custom_link alice 192.168.77.1 192.168.77.2
custom_link bob 192.168.77.2 192.168.77.1

log "fouctl up on both sides (the seed's exact arguments)"
in_ns alice fouctl up 2001 2002 10.0.2.2 100 2>&1 | tee /tmp/alice.up
[[ ${PIPESTATUS[0]} == 0 ]] || fail "fouctl up failed on alice"
grep -q '^\[#\] ip link add name fou2001 mtu 100 type ipip local 127.0.0.1 remote 127.0.0.1' /tmp/alice.up ||
    fail "up did not echo the ip link command"
grep -q '^\[#\] ip fou add port 2001 ipproto 4' /tmp/alice.up || fail "up did not echo ip fou add"
check in_ns bob fouctl up 2001 2002 10.0.1.2 100

log "the kernel objects are what the seed script makes"
link=$(ip -n alice -d link show fou2001)
echo "$link"
[[ $link == *"mtu 100 "* ]] || fail "fou2001 mtu is not 100"
[[ $link == *"encap fou encap-sport auto encap-dport 2002"* ]] || fail "fou2001 lacks encap fou dport 2002"
[[ $link == *"alias fouctl:v1 mode=kernel rx=2001 tx=2002"* ]] || fail "fou2001 lacks the ownership mark"
[[ $(ip -n alice fou show) == *"port 2001 ipproto 4"* ]] || fail "FOU port 2001 is not open"
[[ $(ip -n alice route show 10.0.2.2) == *"dev fou2001 proto 252 scope link"* ]] || fail "route missing"

log "ping across, and ping -s 128 fragmented at MTU 100"
ping_all alice 10.0.2.2
ping_all bob 10.0.1.2
ping_all alice 10.0.2.2 -c 3 -W 2 -s 128
ping_all bob 10.0.1.2 -c 3 -W 2 -s 128

log "status"
in_ns alice fouctl status | tee /tmp/status
grep -q '^tunnel fou2001 (kernel ipip, up)' /tmp/status || fail "status does not list fou2001"
rx=$(in_ns alice fouctl status --json | jq '.tunnels[0].counters.rx_packets')
((rx >= 12)) || fail "status reports only $rx received packets"

log "the same up again changes nothing"
idx=$(ip -n alice -j link show fou2001 | jq '.[0].ifindex')
in_ns alice fouctl up 2001 2002 10.0.2.2 100 2>/tmp/again || fail "second up failed"
cat /tmp/again
grep -q 'already up' /tmp/again || fail "second up did not say it was already up"
if grep -q '^\[#\]' /tmp/again; then fail "second up performed actions"; fi
[[ $(ip -n alice -j link show fou2001 | jq '.[0].ifindex') == "$idx" ]] || fail "fou2001 was recreated"

log "down removes everything fouctl made"
check in_ns alice fouctl down 2001
check in_ns bob fouctl down 2001
snapshot /tmp/alice.after alice
snapshot /tmp/bob.after bob
same_snapshot /tmp/alice.before /tmp/alice.after
same_snapshot /tmp/bob.before /tmp/bob.after
in_ns alice fouctl down 2001 2>/tmp/down2 || fail "down of a tunnel that is not up must exit 0"
grep -q 'is not up' /tmp/down2 || fail "down did not say the tunnel is not up"
