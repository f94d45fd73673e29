#!/bin/bash
# Interop: Alice runs fouctl, Bob configures the same tunnel with plain iproute2
# (what udp-tunnel.sh does). Traffic must flow both ways.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add alice
netns_add bob
veth_pair alice ul0 192.168.77.1/24 bob ul0 192.168.77.2/24
custom_link alice 192.168.77.1 192.168.77.2
custom_link bob 192.168.77.2 192.168.77.1

check in_ns alice fouctl up 2001 2002 10.0.2.2 100 --address 10.0.1.2
check ip -n bob link add fou1 type ipip remote 127.0.0.1 local 127.0.0.1 ttl 225 \
    encap fou encap-sport auto encap-dport 2002
check ip -n bob link set fou1 mtu 100 up
check ip -n bob fou add port 2001 ipproto 4
check ip -n bob addr add 10.0.2.2/32 dev fou1
check ip -n bob route add 10.0.1.2/32 dev fou1

ping_all alice 10.0.2.2
ping_all bob 10.0.1.2
ping_all bob 10.0.1.2 -c 3 -W 2 -s 128

log "fouctl leaves Bob's hand-made tunnel alone"
out=$(in_ns bob fouctl status)
[[ $out == "no fouctl tunnels"* ]] || fail "fouctl status claims bob's iproute2 tunnel: $out"
expect_fail 1 in_ns bob fouctl down fou1
expect_stderr_contains "not made by fouctl"
check ip -n bob link show fou1
check in_ns alice fouctl down fou2001
