#!/bin/bash
# Benchmark, not a timed test: TCP through a fouctl kernel tunnel and through the same
# tunnel made with plain iproute2, over the same veth, in one run (iperf3, 4 s each,
# twice, alternating). Prints both throughputs and their ratio (target >= 0.95), plus a
# figure that does not depend on the emulator: the bytes per packet the tunnel device
# transmits (TSO/GSO super-packets are far larger than the MTU; without offload they are
# MTU-sized). Fails only if a transfer fails or fouctl's tunnel sends MTU-sized packets
# where iproute2's does not (the 0.15x regression of ethtool tx off).
# case-timeout: 300
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
command -v iperf3 >/dev/null || skip "iperf3 is not in the guest"

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.81.1/24 hostb ul0 192.168.81.2/24
ip netns exec hostb timeout 200 iperf3 -s -4 >/tmp/iperf3.log 2>&1 &
on_exit kill "$!"

up_fouctl() {
    check in_ns hosta fouctl -q up 5555 5555 10.12.0.2 --peer 192.168.81.2 --local 192.168.81.1 --address 10.12.0.1
    check in_ns hostb fouctl -q up 5555 5555 10.12.0.1 --peer 192.168.81.1 --local 192.168.81.2 --address 10.12.0.2
    dev=fou5555
}
down_fouctl() {
    check in_ns hosta fouctl -q down 5555
    check in_ns hostb fouctl -q down 5555
}
up_iproute2() {
    local ns l r me them
    for ns in hosta:192.168.81.1:192.168.81.2:10.12.0.1:10.12.0.2 hostb:192.168.81.2:192.168.81.1:10.12.0.2:10.12.0.1; do
        IFS=: read -r ns l r me them <<<"$ns"
        check ip -n "$ns" fou add port 5555 ipproto 4
        check ip -n "$ns" link add name ipfou mtu 1472 type ipip local "$l" remote "$r" ttl 64 \
            encap fou encap-sport auto encap-dport 5555
        check ip -n "$ns" link set ipfou up
        check ip -n "$ns" addr add "$me/32" dev ipfou
        check ip -n "$ns" route add "$them/32" dev ipfou
    done
    dev=ipfou
}
down_iproute2() {
    local ns
    for ns in hosta hostb; do
        check ip -n "$ns" link del ipfou
        check ip -n "$ns" fou del port 5555
    done
}
# measure: one iperf3 run; prints "Mbit/s bytes-per-packet".
measure() {
    local stats b0 p0 b1 p1 out mbps
    stats=$(ip -n hosta -j -s link show dev "$dev")
    b0=$(jq '.[0].stats64.tx.bytes' <<<"$stats") p0=$(jq '.[0].stats64.tx.packets' <<<"$stats")
    out=$(in_ns hosta timeout 60 iperf3 -c 10.12.0.2 -B 10.12.0.1 -t 4 -J) || fail "iperf3 through $dev failed"
    mbps=$(jq '.end.sum_received.bits_per_second / 1e6 | floor' <<<"$out")
    stats=$(ip -n hosta -j -s link show dev "$dev")
    b1=$(jq '.[0].stats64.tx.bytes' <<<"$stats") p1=$(jq '.[0].stats64.tx.packets' <<<"$stats")
    echo "$mbps $(((b1 - b0) / (p1 - p0 + 1)))"
}
for round in 1 2; do
    up_fouctl
    wait_tcp_port hostb 5201 || fail "iperf3 -s: $(cat /tmp/iperf3.log)"
    read -r f_mbps f_bpp <<<"$(measure)"
    down_fouctl
    up_iproute2
    read -r i_mbps i_bpp <<<"$(measure)"
    down_iproute2
    ratio=$(awk -v a="$f_mbps" -v b="$i_mbps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    echo "round $round: fouctl $f_mbps Mbit/s ($f_bpp bytes/packet), iproute2 $i_mbps Mbit/s ($i_bpp bytes/packet), ratio $ratio"
    # MTU-sized packets on fouctl's device while iproute2's carries super-packets: offload lost.
    if ((i_bpp > 3000 && f_bpp < 2000)); then
        fail "fouctl's tunnel sends $f_bpp-byte packets where iproute2's sends $i_bpp: no TSO/GSO"
    fi
done
