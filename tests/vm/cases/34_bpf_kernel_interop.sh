#!/bin/bash
# The BPF datapath against kernel FOU: hosta runs `fouctl up --mode bpf` (programs, no
# module of its own involved), hostb a plain iproute2 FOU/IPIP tunnel with default
# offloads. Ping and 4 MiB TCP each way (sha256 equal), GUE against an iproute2 GUE port,
# IPv6 inside against an iproute2 sit device, an IPv6 underlay against ip6tnl with a fou6
# port (outer UDP checksums the kernel verifies); status counts what passed; down leaves no
# route, filter or address. On this kernel `auto` still takes the kernel's FOU.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
modprobe sit || fail "cannot load the sit module"
modprobe ip6_tunnel || fail "cannot load the ip6_tunnel module"
modprobe fou6 || fail "cannot load the fou6 module"

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.99.1/24 hostb ul0 192.168.99.2/24
check ip -n hosta addr add 2001:db8:99::1/64 dev ul0 nodad
check ip -n hostb addr add 2001:db8:99::2/64 dev ul0 nodad

log "hostb: iproute2 ipip with FOU (default offloads), GUE ipip, and sit with FOU"
check ip -n hostb link add k4 type ipip remote 192.168.99.1 local 192.168.99.2 ttl 64 \
    encap fou encap-sport auto encap-dport 6400
check ip -n hostb fou add port 6401 ipproto 4
# A second ipip device needs other outer addresses: hostb's second address.
check ip -n hostb addr add 192.168.99.3/24 dev ul0
check ip -n hostb link add kg type ipip remote 192.168.99.1 local 192.168.99.3 ttl 64 \
    encap gue encap-sport auto encap-dport 6410
check ip -n hostb fou add port 6411 gue
check ip -n hostb link add k6 type sit remote 192.168.99.1 local 192.168.99.2 ttl 64 \
    encap fou encap-sport auto encap-dport 6420
check ip -n hostb fou add port 6421 ipproto 41
for dev in k4 kg k6; do check ip -n hostb link set "$dev" up; done
check ip -n hostb addr add 10.99.0.2/32 dev k4
check ip -n hostb route add 10.99.0.1/32 dev k4
check ip -n hostb addr add 10.99.1.2/32 dev kg
check ip -n hostb route add 10.99.1.1/32 dev kg
check ip -n hostb addr add fd00:99::2/128 dev k6
check ip -n hostb route add fd00:99::1/128 dev k6

log "hosta: fouctl --mode bpf, FOU"
out=$(in_ns hosta fouctl up 6400 6401 10.99.0.2 --peer 192.168.99.2 --address 10.99.0.1 --mode bpf 2>&1) ||
    fail "up --mode bpf failed: $out"
echo "$out"
[[ $(ip -n hosta route show 10.99.0.2) == *"encap bpf"* ]] || fail "no BPF route to 10.99.0.2"
ping_all hosta 10.99.0.2 -c 3 -W 2
ping_all hostb 10.99.0.1 -c 3 -W 2
tcp_each_way hosta 10.99.0.1 hostb 10.99.0.2
st=$(in_ns hosta fouctl status --json)
jq -c '.tunnels[0] | {mode, counters, bpf}' <<<"$st"
[[ $(jq -r '.tunnels[0].mode' <<<"$st") == bpf ]] || fail "status mode"
(($(jq '.tunnels[0].counters.rx_bytes' <<<"$st") > 4 * 1024 * 1024)) || fail "fewer bytes counted in than received"
(($(jq '[.tunnels[0].bpf.drops[]] | add' <<<"$st") == 0)) || fail "the datapath dropped packets"
check in_ns hosta fouctl -q down 6400

log "hosta: bpf with GUE against the iproute2 GUE port"
check in_ns hosta fouctl -q up 6410 6411 10.99.1.2 --peer 192.168.99.3 --address 10.99.1.1 \
    --encap gue --mode bpf
ping_all hosta 10.99.1.2 -c 3 -W 2
ping_all hostb 10.99.1.1 -c 3 -W 2
check in_ns hosta fouctl -q down 6410

log "hosta: IPv6 inside a bpf tunnel against iproute2 sit"
check in_ns hosta fouctl -q up 6420 6421 fd00:99::2 --peer 192.168.99.2 --address fd00:99::1 --mode bpf
ping_all hosta fd00:99::2 -6 -c 3 -W 2
ping_all hostb fd00:99::1 -6 -c 3 -W 2
tcp_each_way hosta fd00:99::1 hostb fd00:99::2
check in_ns hosta fouctl -q down 6420

log "hosta: bpf over the IPv6 underlay against iproute2 ip6tnl + fou6"
check ip -n hostb link add k64 type ip6tnl mode ipip6 remote 2001:db8:99::1 local 2001:db8:99::2 \
    encaplimit none encap fou encap-sport auto encap-dport 6430
check ip -n hostb fou add port 6431 ipproto 4 -6
check ip -n hostb link set k64 up
check ip -n hostb addr add 10.99.3.2/32 dev k64
check ip -n hostb route add 10.99.3.1/32 dev k64
csum_errors() { ip netns exec hostb cat /proc/net/snmp6 | awk '$1 == "Udp6InCsumErrors" { print $2 }'; }
errors=$(csum_errors)
check in_ns hosta fouctl -q up 6430 6431 10.99.3.2 --peer 2001:db8:99::2 --local 2001:db8:99::1 \
    --address 10.99.3.1 --mode bpf
ping_all hosta 10.99.3.2 -c 3 -W 2
ping_all hostb 10.99.3.1 -c 3 -W 2
tcp_each_way hosta 10.99.3.1 hostb 10.99.3.2
(($(csum_errors) == errors)) || fail "hostb counted UDP6 checksum errors: $errors -> $(csum_errors)"
check in_ns hosta fouctl -q down 6430

log "nothing left; auto still takes the kernel here"
[[ -z $(ip -n hosta route show table all proto 252) ]] || fail "routes left: $(ip -n hosta route show proto 252)"
[[ -z $(tc -n hosta filter show dev ul0 ingress) ]] || fail "a filter was left"
[[ -z $(ip -n hosta addr show dev lo | grep 10.99) ]] || fail "an address was left on lo"
check in_ns hosta fouctl -q up 6400 6401 10.99.0.2 --peer 192.168.99.2 --address 10.99.0.1
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[0].mode') == kernel ]] || fail "auto did not take the kernel"
ping_all hosta 10.99.0.2 -c 2 -W 2
check in_ns hosta fouctl -q down --all
