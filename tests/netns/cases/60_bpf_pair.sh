#!/bin/bash
# Two hosts over a veth underlay, both with `--mode bpf`: FOU done by fouctl's BPF programs
# (an lwt_xmit route per REMOTE, a clsact ingress filter on the underlay). Ping both ways
# over IPv4 and IPv6 inside, TCP each way checked by sha256, counters, idempotent up,
# refused ups that change nothing, and downs that leave the namespaces as they were: no
# route of protocol 252, no filter or qdisc, no address, no pin.
# Host A is driven with `fouctl -n` (its pins persist in this case's bpffs); host B with
# `ip netns exec`, which mounts a fresh /sys, so its runs find the datapath through the
# programs the kernel runs instead.
# case-timeout: 240
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

# A mount namespace of this case's own, so that the bpffs mounted below is private.
if [[ -z ${FOUCTL_CASE_UNSHARED:-} ]]; then
    command -v unshare >/dev/null || skip "no unshare(1)"
    trap - EXIT
    FOUCTL_CASE_UNSHARED=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
[[ -d /sys/fs/bpf ]] || skip "this kernel has no /sys/fs/bpf (CONFIG_BPF_SYSCALL)"
mount -t bpf bpf /sys/fs/bpf || skip "cannot mount bpffs on /sys/fs/bpf"

a=${FOUCTL_TEST_ID:-fx}ba b=${FOUCTL_TEST_ID:-fx}bb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.120.1/24 "$b" ul0 192.168.120.2/24
# A failed case still takes its bpf tunnels down: pins made through `fouctl -n` live in the
# host's bpffs, not in the namespace.
on_exit fouctl -n "$a" down --all
on_exit fouctl -n "$b" down --all
tc_state() { tc -n "$1" qdisc show dev ul0; tc -n "$1" filter show dev ul0 ingress; }
snapshot /tmp/"$a".before "$a"
snapshot /tmp/"$b".before "$b"
tc_state "$a" >/tmp/"$a".tc.before

if ! fouctl -n "$a" up 5555 5555 10.61.0.2,fd61::2 --peer 192.168.120.2 --address 10.61.0.1 \
    --address fd61::1 --mode bpf 2>/tmp/"$a".up; then
    grep -q "the bpf backend needs" /tmp/"$a".up && skip "$(tail -n1 /tmp/"$a".up)"
    fail "up failed: $(cat /tmp/"$a".up)"
fi
cat /tmp/"$a".up
# B in auto mode: no FOU modules here, so the BPF datapath, said once in one line.
in_ns "$b" fouctl up 5555 5555 10.61.0.1,fd61::1 --peer 192.168.120.1 --address 10.61.0.2 \
    --address fd61::2 2>/tmp/"$b".up || fail "auto up failed: $(cat /tmp/"$b".up)"
cat /tmp/"$b".up
[[ $(grep -c "; using the BPF datapath$" /tmp/"$b".up) == 1 ]] ||
    fail "auto mode did not say (once, in one line) that it chose the BPF datapath"
[[ $(grep -c 'not found in' /tmp/"$b".up) == 0 ]] || fail "auto mode's note carries libkmod's details"
[[ $(in_ns "$b" fouctl status --json | jq -r '.tunnels[0].mode') == bpf ]] || fail "auto did not choose bpf"
key=$(ip netns exec "$a" stat -L -c '%D-%i' /proc/self/ns/net)
pins=/sys/fs/bpf/fouctl/$key
[[ -e $pins/fou_tunnels && -e $pins/fou_encap && -e $pins/fou_decap ]] || fail "no pins in $pins"
[[ $(stat -c '%u %a' "$pins") == "0 700" ]] || fail "pin directory is $(stat -c '%u %a' "$pins")"
ip -n "$a" route show proto 252 | grep -q "10.61.0.2 *encap bpf xmit fou_encap dev ul0" ||
    fail "no BPF route: $(ip -n "$a" route show proto 252)"
tc -n "$a" filter show dev ul0 ingress | grep -q "handle 0xf0c fou_decap" || fail "no ingress filter"

ping_all "$a" 10.61.0.2
ping_all "$b" 10.61.0.1
ping_all "$a" fd61::2
ping_all "$b" fd61::1
log "the routes' MTU is the tunnel's: 1472 fits, 1473 does not"
ping_all "$a" 10.61.0.2 -c 1 -W 2 -M do -s 1444
[[ $(in_ns "$a" ping -n -c 1 -W 2 -M do -s 1445 10.61.0.2 2>&1) == *"mtu=1472"* ]] ||
    fail "a 1473-byte packet was not refused with mtu=1472"

log "TCP each way, IPv4 and IPv6 inside"
tcp_each_way "$a" 10.61.0.1 "$b" 10.61.0.2 64
tcp_each_way "$a" fd61::1 "$b" fd61::2 4

st=$(fouctl -n "$a" status --json)
jq -c '.tunnels[0] | {mode, counters, bpf}' <<<"$st"
[[ $(jq -r '.tunnels[0].mode' <<<"$st") == bpf ]] || fail "status does not say mode bpf"
(($(jq '.tunnels[0].counters.rx_bytes' <<<"$st") > 64 * 1024 * 1024)) ||
    fail "fewer bytes counted in than were received"
(($(jq '.tunnels[0].counters.tx_packets' <<<"$st") > 0)) || fail "no packets counted out"
(($(jq '[.tunnels[0].bpf.drops[]] | add' <<<"$st") == 0)) || fail "the datapath dropped packets"
[[ $(jq -c '.tunnels[0].routes' <<<"$st") == '["10.61.0.2/32","fd61::2/128"]' ]] || fail "routes"
[[ $(in_ns "$b" fouctl status --json | jq -r '.tunnels[0].name') == fou5555 ]] ||
    fail "status through ip netns exec (no pins) does not find the tunnel"

log "up again changes nothing, with or without pins"
fouctl -n "$a" up 5555 5555 10.61.0.2,fd61::2 --peer 192.168.120.2 --address 10.61.0.1 \
    --address fd61::1 --mode bpf 2>/tmp/"$a".again || fail "second up failed"
grep -q 'already up' /tmp/"$a".again || fail "second up did not say it was already up"
in_ns "$b" fouctl up 5555 5555 10.61.0.1,fd61::1 --peer 192.168.120.1 --address 10.61.0.2 \
    --address fd61::2 --mode bpf 2>/tmp/"$b".again || fail "second up in $b failed"
grep -q 'already up' /tmp/"$b".again || fail "second up in $b did not say it was already up"
[[ $(tc -n "$b" filter show dev ul0 ingress | grep -c 'handle 0xf0c') == 1 ]] ||
    fail "a second filter or program was attached"

log "doctor: the datapath takes the port before netfilter, so a drop rule on it changes nothing"
check ip netns exec "$a" nft -f - <<EOF
table inet bpfdoctor {
    chain input { type filter hook input priority filter; udp dport 5555 drop; }
}
EOF
on_exit ip netns exec "$a" nft delete table inet bpfdoctor
ping_all "$a" 10.61.0.2
out=$(fouctl -n "$a" doctor fou5555) || fail "doctor on a healthy bpf tunnel exited $?: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
grep -qE '^  ok +firewall +the BPF datapath takes UDP port 5555 at tc ingress' <<<"$out" ||
    fail "doctor does not explain why the drop rule does not matter"
grep -qE '^  ok +port +receive port 5555: taken by the BPF datapath' <<<"$out" || fail "doctor: port"
check ip netns exec "$a" nft delete table inet bpfdoctor

log "refused ups change nothing"
snapshot /tmp/"$a".up1 "$a"
expect_fail 1 fouctl -n "$a" up 5555 6000 10.62.0.2 --peer 192.168.120.2 --name other --mode bpf
expect_stderr_contains "receive port 5555 belongs to fouctl bpf tunnel 'fou5555'"
expect_fail 1 fouctl -n "$a" up 6001 6001 10.62.0.2 --peer 192.0.2.1 --mode bpf
expect_stderr_contains "route to peer 192.0.2.1"
expect_fail 1 fouctl -n "$a" up 6002 6002 10.61.0.2 --peer 192.168.120.2 --mode bpf
expect_stderr_contains "overlaps 10.61.0.2/32 of fouctl bpf tunnel 'fou5555'"
snapshot /tmp/"$a".up2 "$a"
same_snapshot /tmp/"$a".up1 /tmp/"$a".up2

log "down leaves nothing"
check fouctl -n "$a" down 5555
check in_ns "$b" fouctl down fou5555
for ns in "$a" "$b"; do
    snapshot /tmp/"$ns".after "$ns"
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
    [[ -z $(ip -n "$ns" route show table all proto 252) ]] || fail "routes of proto 252 left in $ns"
    [[ -z $(ip -n "$ns" -6 route show table all proto 252) ]] || fail "IPv6 routes left in $ns"
done
tc_state "$a" >/tmp/"$a".tc.after
diff -u /tmp/"$a".tc.before /tmp/"$a".tc.after || fail "tc state of $a changed"
[[ -z $(tc -n "$b" qdisc show dev ul0 | grep clsact) ]] || fail "a clsact qdisc is left in $b"
[[ ! -e $pins ]] || fail "pins left in $pins"
in_ns "$b" fouctl down fou5555 2>&1 | grep -q 'not up' || fail "a second down did not say 'not up'"
rm -f /tmp/"$a".* /tmp/"$b".*
