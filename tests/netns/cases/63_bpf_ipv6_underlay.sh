#!/bin/bash
# fouctl's BPF datapath over an IPv6 underlay (outer IPv6 + UDP, as fou6 and ip6tnl send):
# host A with `--mode bpf`, host B first with the userspace relay (FOU direct, GUE, and FOU
# again with A's transmit checksum offload off, so that B's kernel checks every outer UDP
# checksum A computed), then with `--mode bpf` too. IPv4 and IPv6 inside, ping and TCP each
# way; the routes carry the IPv6 headroom; downs leave both namespaces as they were.
# case-timeout: 300
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}ua b=${FOUCTL_TEST_ID:-fx}ub
netns_add "$a"
netns_add "$b"
# IPv6 only on the underlay; nodad, so that the relay can bind its address at once.
check ip -n "$a" link add ul0 type veth peer name ul0 netns "$b"
check ip -n "$a" addr add fd63:ff::1/64 dev ul0 nodad
check ip -n "$b" addr add fd63:ff::2/64 dev ul0 nodad
check ip -n "$a" link set ul0 up
check ip -n "$b" link set ul0 up
# Carrier on both ends (at most 5 s), so that the snapshots below are stable.
for ((i = 0; i < 50; i++)); do
    [[ $(ip -n "$a" -o link show ul0) == *"state UP"* &&
        $(ip -n "$b" -o link show ul0) == *"state UP"* ]] && break
    sleep 0.1
done
((i < 50)) || fail "veth ul0 did not come up"
# A failed case still takes its bpf tunnels down.
on_exit fouctl -n "$a" down --all
on_exit fouctl -n "$b" down --all
snapshot /tmp/"$a".before "$a"
snapshot /tmp/"$b".before "$b"

# The UDP checksum errors B's kernel counted (its relay's socket drops those datagrams).
# shellcheck disable=SC2016 # awk's own $1 and $2
csum_errors() { in_ns "$1" awk '$1 == "Udp6InCsumErrors" { print $2 }' /proc/net/snmp6; }

up_a() { # ENCAP
    if ! in_ns "$a" fouctl up 5555 5556 10.63.0.2,fd63::2 --peer fd63:ff::2 \
        --address 10.63.0.1 --address fd63::1 --mode bpf --encap "$1" 2>/tmp/"$a".up; then
        grep -q "the bpf backend needs" /tmp/"$a".up && skip "$(tail -n1 /tmp/"$a".up)"
        fail "up failed: $(cat /tmp/"$a".up)"
    fi
}

traffic() {
    ping_all "$a" 10.63.0.2
    ping_all "$b" 10.63.0.1
    ping_all "$a" fd63::2
    ping_all "$b" fd63::1
    # The largest packets that fit: 1452 bytes inside over IPv6 with FOU, 1448 with GUE.
    ping_all "$a" 10.63.0.2 -c 2 -W 2 -M "do" -s $((mtu - 28))
    ping_all "$b" 10.63.0.1 -c 2 -W 2 -M "do" -s $((mtu - 28))
    tcp_each_way "$a" 10.63.0.1 "$b" 10.63.0.2 4
    tcp_each_way "$a" fd63::1 "$b" fd63::2 4
}

check_bpf_status() { # NS: counters and no drops
    local st
    st=$(in_ns "$1" fouctl status --json | jq '.tunnels[] | select(.mode == "bpf")')
    jq -c '{peer, mtu, encap, counters, drops: .bpf.drops}' <<<"$st"
    [[ $(jq -r .peer <<<"$st") == fd63:ff::* ]] || fail "bpf status in $1 shows peer $(jq -r .peer <<<"$st")"
    [[ $(jq -r .mtu <<<"$st") == "$mtu" ]] || fail "bpf status in $1 shows mtu $(jq -r .mtu <<<"$st")"
    (($(jq '.counters.rx_bytes' <<<"$st") > 8 * 1024 * 1024)) || fail "bpf in $1 counted too few bytes in"
    (($(jq '.counters.tx_bytes' <<<"$st") > 8 * 1024 * 1024)) || fail "bpf in $1 counted too few bytes out"
    (($(jq '[.bpf.drops[]] | add' <<<"$st") == 0)) || fail "the bpf datapath in $1 dropped packets"
}

for round in fou gue fou-txoff; do
    encap=${round%-txoff}
    mtu=$([[ $encap == gue ]] && echo 1448 || echo 1452)
    log "$round: bpf in $a, relay in $b"
    if [[ $round == *-txoff ]]; then
        # No checksum offload on A's underlay: the kernel finishes inner checksums in
        # software and B receives plain (CHECKSUM_NONE) datagrams, whose outer UDP
        # checksum its kernel verifies: those fou_encap computed, by local checksum
        # offload for TCP and in full for the rest, and those GSO finished per segment.
        check ip netns exec "$a" ethtool -K ul0 tx off
    fi
    up_a "$encap"
    check in_ns "$b" fouctl -q up 5556 5555 10.63.0.1,fd63::1 --peer fd63:ff::1 \
        --address 10.63.0.2 --address fd63::2 --mode userspace --encap "$encap"
    routes=$(ip -n "$a" route show proto 252; ip -n "$a" -6 route show proto 252)
    printf '%s\n' "$routes"
    [[ $(grep -c "encap bpf xmit fou_encap.* dev ul0 .*mtu lock 1500" <<<"$routes") == 2 ]] ||
        fail "the routes do not carry mtu lock 1500 (tunnel MTU $mtu + the IPv6 headroom)"
    errors_before=$(csum_errors "$b")
    traffic
    check_bpf_status "$a"
    sb=$(in_ns "$b" fouctl status --json | jq '.tunnels[] | select(.mode == "userspace")')
    jq -c '{encap, counters, drops: .relay.drops}' <<<"$sb"
    (($(jq '.counters.rx_bytes' <<<"$sb") > 8 * 1024 * 1024)) || fail "relay counted too few bytes in"
    (($(jq '[.relay.drops[]] | add' <<<"$sb") == 0)) || fail "the relay dropped packets"
    errors=$(($(csum_errors "$b") - errors_before))
    ((errors == 0)) || fail "$b's kernel counted $errors UDP checksum errors"
    check in_ns "$a" fouctl down fou5555
    check in_ns "$b" fouctl down fou5556
    [[ $round == *-txoff ]] && check ip netns exec "$a" ethtool -K ul0 tx on
done

for encap in fou gue; do
    mtu=$([[ $encap == gue ]] && echo 1448 || echo 1452)
    log "encap $encap: bpf in both"
    up_a "$encap"
    check in_ns "$b" fouctl -q up 5556 5555 10.63.0.1,fd63::1 --peer fd63:ff::1 \
        --address 10.63.0.2 --address fd63::2 --mode bpf --encap "$encap"
    traffic
    check_bpf_status "$a"
    check_bpf_status "$b"
    check in_ns "$a" fouctl down fou5555
    check in_ns "$b" fouctl down fou5556
done

log "down leaves nothing"
for ns in "$a" "$b"; do
    snapshot /tmp/"$ns".after "$ns"
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
    tc -n "$ns" qdisc show dev ul0 | grep -q clsact && fail "a clsact qdisc is left in $ns"
    [[ -z $(tc -n "$ns" filter show dev ul0 ingress) ]] || fail "an ingress filter is left in $ns"
done
[[ -z $(ip netns pids "$b") ]] || fail "processes left in $b: $(ip netns pids "$b")"
rm -f /tmp/"$a".* /tmp/"$b".*
