#!/bin/bash
# Wire compatibility: one side runs kernel FOU/IPIP (fouctl --mode kernel), the other the
# userspace relay (fouctl --mode userspace). Traffic must flow both ways, over the seed's
# loopback custom link and over a veth underlay (with a TCP transfer checked by sha256).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

log "seed-style loopback link: alice kernel, bob relay"
netns_add alice
netns_add bob
veth_pair alice ul0 192.168.77.1/24 bob ul0 192.168.77.2/24
check ip -n alice addr add 10.0.1.2/32 dev lo
check ip -n bob addr add 10.0.2.2/32 dev lo
custom_link alice 192.168.77.1 192.168.77.2
custom_link bob 192.168.77.2 192.168.77.1
check in_ns alice fouctl up 2001 2002 10.0.2.2 100 --mode kernel
check in_ns bob fouctl up 2001 2002 10.0.1.2 100 --mode userspace
[[ $(in_ns bob fouctl status --json | jq -r '.tunnels[0].mode') == userspace ]] || fail "bob is not a relay"
ping_all alice 10.0.2.2
ping_all bob 10.0.1.2
ping_all alice 10.0.2.2 -c 3 -W 2 -s 128
ping_all bob 10.0.1.2 -c 3 -W 2 -s 128
log "TCP through the custom link: 256 KiB alice (kernel) -> bob (relay)"
check dd if=/dev/urandom of=/tmp/small bs=1k count=256 status=none
ip netns exec bob timeout 60 socat -u TCP-LISTEN:9001,bind=10.0.2.2,reuseaddr CREATE:/tmp/small.out &
sink=$!
on_exit kill "$sink"
wait_tcp_port bob 9001
check in_ns alice timeout 60 socat -u OPEN:/tmp/small TCP:10.0.2.2:9001,bind=10.0.1.2
wait "$sink" || fail "the receiving socat in bob failed"
[[ $(sha256sum </tmp/small) == "$(sha256sum </tmp/small.out)" ]] || fail "checksums differ"
in_ns bob fouctl status
check in_ns alice fouctl -q down 2001
check in_ns bob fouctl -q down 2001

log "veth underlay: hosta relay, hostb kernel, 4 MiB over TCP both ways"
netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.78.1/24 hostb ul0 192.168.78.2/24
check in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 \
    --address 10.10.0.1 --mode userspace
check in_ns hostb fouctl up 5555 5555 10.10.0.1 --peer 192.168.78.1 --local 192.168.78.2 \
    --address 10.10.0.2 --mode kernel
# The kernel side keeps its offloads (a veth peer): the relay completes the checksums.
[[ $(in_ns hostb fouctl status --json | jq -r '.tunnels[0].offload') == on ]] || fail "hostb's tunnel has offload off"
ping_all hosta 10.10.0.2
ping_all hostb 10.10.0.1
tcp_each_way hosta 10.10.0.1 hostb 10.10.0.2
in_ns hosta fouctl status
drops=$(in_ns hosta fouctl status --json | jq '[.tunnels[0].relay.drops[]] | add')
((drops == 0)) || fail "the relay dropped $drops packets from the kernel peer"
check in_ns hosta fouctl -q down 5555
check in_ns hostb fouctl -q down 5555
