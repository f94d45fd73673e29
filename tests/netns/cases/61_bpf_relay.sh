#!/bin/bash
# Host A with `--mode bpf` (fouctl's BPF datapath), host B with `--mode userspace` (the
# relay), over veth: the two speak the same wire format (FOU direct, then GUE). Ping and
# TCP each way, counters on both sides, and downs that leave both namespaces as they were.
# case-timeout: 240
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}pa b=${FOUCTL_TEST_ID:-fx}pb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.121.1/24 "$b" ul0 192.168.121.2/24
# A failed case still takes its bpf tunnels down: pins made through `fouctl -n` live in the
# host's bpffs, not in the namespace.
on_exit fouctl -n "$a" down --all
on_exit fouctl -n "$b" down --all
snapshot /tmp/"$a".before "$a"
snapshot /tmp/"$b".before "$b"

for encap in fou gue; do
    log "encap $encap: bpf in $a, relay in $b"
    if ! in_ns "$a" fouctl up 5555 5556 10.63.0.2 --peer 192.168.121.2 --address 10.63.0.1 \
        --mode bpf --encap "$encap" 2>/tmp/"$a".up; then
        grep -q "the bpf backend needs" /tmp/"$a".up && skip "$(tail -n1 /tmp/"$a".up)"
        fail "up failed: $(cat /tmp/"$a".up)"
    fi
    check in_ns "$b" fouctl -q up 5556 5555 10.63.0.1 --peer 192.168.121.1 --address 10.63.0.2 \
        --mode userspace --encap "$encap"
    ping_all "$a" 10.63.0.2
    ping_all "$b" 10.63.0.1
    tcp_each_way "$a" 10.63.0.1 "$b" 10.63.0.2 8
    sa=$(in_ns "$a" fouctl status --json | jq '.tunnels[] | select(.mode == "bpf")')
    sb=$(in_ns "$b" fouctl status --json | jq '.tunnels[] | select(.mode == "userspace")')
    jq -c '{encap, counters, drops: .bpf.drops}' <<<"$sa"
    jq -c '{encap, counters, drops: .relay.drops}' <<<"$sb"
    [[ $(jq -r .encap <<<"$sa") == "$encap" ]] || fail "bpf status says encap $(jq -r .encap <<<"$sa")"
    (($(jq '.counters.rx_bytes' <<<"$sa") > 8 * 1024 * 1024)) || fail "bpf counted too few bytes in"
    (($(jq '.counters.rx_bytes' <<<"$sb") > 8 * 1024 * 1024)) || fail "relay counted too few bytes in"
    (($(jq '[.bpf.drops[]] | add' <<<"$sa") == 0)) || fail "the bpf datapath dropped packets"
    (($(jq '[.relay.drops[]] | add' <<<"$sb") == 0)) || fail "the relay dropped packets"
    check in_ns "$a" fouctl down fou5555
    check in_ns "$b" fouctl down fou5556
done

log "down leaves nothing"
for ns in "$a" "$b"; do
    snapshot /tmp/"$ns".after "$ns"
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
done
[[ -z $(tc -n "$a" qdisc show dev ul0 | grep clsact) ]] || fail "a clsact qdisc is left in $a"
[[ -z $(ip netns pids "$b") ]] || fail "processes left in $b: $(ip netns pids "$b")"
rm -f /tmp/"$a".* /tmp/"$b".*
