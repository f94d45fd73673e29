#!/bin/bash
# Two hosts over a veth underlay with --peer/--local/--address, FOU on port 5555 both
# ways, and a multi-megabyte TCP transfer through the tunnel verified by checksum.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.78.1/24 hostb ul0 192.168.78.2/24

check in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 \
    --address 10.10.0.1
check in_ns hostb fouctl up 5555 5555 10.10.0.1 --peer 192.168.78.1 --local 192.168.78.2 \
    --address 10.10.0.2
ip -n hosta -d link show fou5555
[[ $(ip -n hosta link show fou5555) == *"mtu 1472 "* ]] || fail "default MTU is not 1472"
ping_all hosta 10.10.0.2

log "8 MiB over TCP through the tunnel"
check dd if=/dev/urandom of=/tmp/in bs=1M count=8 status=none
ip netns exec hostb timeout 60 socat -u TCP-LISTEN:9000,bind=10.10.0.2,reuseaddr \
    CREATE:/tmp/out &
on_exit kill "$!"
sink=$!
wait_tcp_port hostb 9000
check in_ns hosta timeout 60 socat -u OPEN:/tmp/in TCP:10.10.0.2:9000
wait "$sink" || fail "the receiving socat failed"
want=$(sha256sum </tmp/in)
got=$(sha256sum </tmp/out)
echo "sent $want"
echo "got  $got"
[[ $want == "$got" ]] || fail "checksums differ"
# GRO merges segments, so count bytes, not packets.
rxb=$(in_ns hostb fouctl status --json | jq '.tunnels[0].counters.rx_bytes')
((rxb > 8 * 1024 * 1024)) || fail "hostb's tunnel received only $rxb bytes; the data took another path"

check in_ns hosta fouctl down 5555
check in_ns hostb fouctl down fou5555
[[ -z $(ip -n hosta fou show) ]] || fail "FOU port left behind"
