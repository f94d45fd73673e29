#!/bin/bash
# The relay against a peer made with plain iproute2 (ip link add ... encap fou, ip fou add),
# which keeps the kernel's default offloads: its inner TCP/UDP checksums arrive unfinished
# (CHECKSUM_PARTIAL) and the relay must complete them. 4 MiB over TCP each way over veth,
# checked by sha256, and the relay counts what it completed.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.79.1/24 hostb ul0 192.168.79.2/24
check in_ns hosta fouctl up 5555 5555 10.11.0.2 --peer 192.168.79.2 --local 192.168.79.1 \
    --address 10.11.0.1 --mode userspace
log "hostb: a plain iproute2 FOU/IPIP tunnel, default offloads"
check ip -n hostb fou add port 5555 ipproto 4
check ip -n hostb link add name ipfou type ipip local 192.168.79.2 remote 192.168.79.1 \
    encap fou encap-sport auto encap-dport 5555
check ip -n hostb link set ipfou mtu 1472 up
check ip -n hostb addr add 10.11.0.2/32 dev ipfou
check ip -n hostb route add 10.11.0.1/32 dev ipfou
on_exit ip -n hostb fou del port 5555
ip netns exec hostb ethtool -k ipfou 2>/dev/null | grep -E '^tx-checksumming' || true
ping_all hosta 10.11.0.2
ping_all hostb 10.11.0.1

tcp_each_way hosta 10.11.0.1 hostb 10.11.0.2
st=$(in_ns hosta fouctl status --json)
completed=$(jq '.tunnels[0].relay.checksums_completed' <<<"$st")
drops=$(jq '[.tunnels[0].relay.drops[]] | add' <<<"$st")
echo "relay: checksums completed $completed, drops $drops"
((completed > 0)) || fail "the relay completed no checksum: the peer's offloads were off?"
((drops == 0)) || fail "the relay dropped $drops packets from the iproute2 peer"
check in_ns hosta fouctl -q down 5555
