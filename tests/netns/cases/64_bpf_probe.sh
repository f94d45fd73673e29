#!/bin/bash
# Capability probing: without CAP_BPF and CAP_SYS_ADMIN (CAP_NET_ADMIN kept), `auto` moves
# on from BPF to the relay and says why in one line; `--mode bpf` fails with the reason and
# a hint, and changes nothing.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
ns=${FOUCTL_TEST_ID:-fx}cap
netns_add "$ns"
check ip -n "$ns" link add ul0 type veth peer name ul1
check ip -n "$ns" addr add 192.168.130.1/24 dev ul0
check ip -n "$ns" link set ul0 up
check ip -n "$ns" link set ul1 up
snapshot /tmp/"$ns".before "$ns"
nobpf() { ip netns exec "$ns" setpriv --bounding-set -bpf,-sys_admin --inh-caps -bpf,-sys_admin "$@"; }

expect_fail 1 nobpf fouctl up 7101 7101 10.71.1.2 --peer 192.168.130.2 --mode bpf
expect_stderr_contains "the bpf backend needs CAP_BPF or CAP_SYS_ADMIN"
expect_stderr_contains "use --mode userspace"
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after

out=$(nobpf fouctl up 7100 7100 10.71.0.2 --peer 192.168.130.2 2>&1) || fail "auto up failed: $out"
echo "$out"
[[ $(grep -c "; no BPF datapath (CAP_BPF or CAP_SYS_ADMIN); using the userspace relay$" <<<"$out") == 1 ]] ||
    fail "auto did not say in one line why it skipped BPF"
[[ $(fouctl -n "$ns" status --json | jq -r '.tunnels[0].mode') == userspace ]] || fail "auto did not use the relay"
check fouctl -n "$ns" -q down --all
rm -f /tmp/"$ns".*
