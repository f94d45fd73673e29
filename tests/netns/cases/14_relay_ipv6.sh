#!/bin/bash
# IPv6 inside the relay's tunnel, and IPv4 alongside it in the same tunnel (a kernel
# device carries one family; `auto` would take the BPF datapath here, which 60_bpf_pair
# covers with both families).
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}6a b=${FOUCTL_TEST_ID:-fx}6b
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.111.1/24 "$b" ul0 192.168.111.2/24
in_ns "$a" fouctl up 4000 4000 fd60::2/128,10.62.0.2 1400 --peer 192.168.111.2 \
    --local 192.168.111.1 --address fd60::1/64 --address 10.62.0.1 --mode userspace 2>/tmp/"$a".up ||
    fail "up failed: $(cat /tmp/"$a".up)"
cat /tmp/"$a".up
check in_ns "$b" fouctl -q up 4000 4000 fd60::1/128,10.62.0.1 1400 --peer 192.168.111.1 \
    --local 192.168.111.2 --address fd60::2/64 --address 10.62.0.2 --mode userspace
# Duplicate address detection must finish before the addresses are usable.
for ((i = 0; i < 50; i++)); do
    [[ -z $(ip -n "$a" -6 addr show tentative) && -z $(ip -n "$b" -6 addr show tentative) ]] && break
    sleep 0.1
done
ping_all "$a" fd60::2
ping_all "$b" fd60::1 -c 3 -W 2 -s 1200
ping_all "$a" 10.62.0.2
[[ $(in_ns "$a" fouctl status --json | jq -r '.tunnels[0].routes | sort | join(" ")') == \
    "10.62.0.2/32 fd60::/64 fd60::2/128" ]] || fail "status routes: every route into the device"
check in_ns "$a" fouctl -q down 4000
check in_ns "$b" fouctl -q down 4000
