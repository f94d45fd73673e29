#!/bin/bash
# The command line on this machine's kernel: status in an empty namespace, down of a
# tunnel that is not up, down of a device fouctl did not make, usage errors. Nothing
# may change in the namespace. Then, in a second namespace: global options after the verb,
# a REMOTE overlapping another tunnel's refused by up as check refuses it in a file, and
# an apply whose first step fails says nothing of rolling back.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

ns=${FOUCTL_TEST_ID:-fx}cli
netns_add "$ns"
check ip -n "$ns" link add fou2001 type veth peer name fouctl-x
snapshot /tmp/"$ns".before "$ns"

out=$(in_ns "$ns" fouctl status)
[[ $out == "no fouctl tunnels in this network namespace" ]] || fail "status said: $out"
[[ $(in_ns "$ns" fouctl status --json | jq -c .) == '{"tunnels":[]}' ]] || fail "status --json"

in_ns "$ns" fouctl down 2001 2>/tmp/"$ns".err || fail "down of a tunnel that is not up must exit 0"
grep -q "tunnel '2001' is not up" /tmp/"$ns".err || fail "down did not say so: $(cat /tmp/"$ns".err)"

expect_fail 1 in_ns "$ns" fouctl down fou2001
expect_stderr_contains "device 'fou2001' was not made by fouctl"
expect_fail 2 in_ns "$ns" fouctl up 2001 2002 10.0.2.2 50
expect_stderr_contains "MTU '50' is not a number from 68 to 65507"
expect_fail 2 in_ns "$ns" fouctl bogus
expect_stderr_contains "unknown command 'bogus'"
expect_fail 2 in_ns "$ns" fouctl
check fouctl --version
check fouctl --help
check fouctl up --help
expect_fail 2 env FOUCTL_LOCK_TIMEOUT=abc fouctl -n "$ns" down 2001
expect_stderr_contains "FOUCTL_LOCK_TIMEOUT: 'abc' is not a number of seconds from 0 to 86400"
expect_fail 2 env FOUCTL_LOCK_TIMEOUT=-1 fouctl -n "$ns" down 2001

snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after

log "global options after the verb"
ns2=${FOUCTL_TEST_ID:-fx}cli2
netns_add "$ns2"
out=$(fouctl up 2101 2102 10.81.0.0/16 --mode userspace -n "$ns2" -q 2>&1) || fail "up ... -n -q: $out"
[[ -z $out ]] || fail "-q after the verb did not quieten up: $out"
[[ $(fouctl status --json -n "$ns2" | jq '.tunnels | length') == 1 ]] || fail "status ... -n"

log "overlapping routes: refused by up as by check"
expect_fail 1 fouctl -n "$ns2" up 2103 2104 10.81.7.0/24 --mode userspace
expect_stderr_contains "REMOTE 10.81.7.0/24 overlaps route 10.81.0.0/16 of fouctl tunnel 'fou2101'"
expect_fail 1 fouctl -n "$ns2" up 2103 2104 10.0.0.0/8 --mode userspace
expect_stderr_contains "overlaps route 10.81.0.0/16"
[[ $(fouctl status --json -n "$ns2" | jq '.tunnels | length') == 1 ]] || fail "a refused up left a tunnel"

check fouctl -n "$ns2" -q down --all

log "an apply that fails at its first step has nothing to roll back, and says nothing of it"
ip netns exec "$ns2" timeout 60 socat -u UDP-RECV:2105 OPEN:/dev/null &
on_exit kill "$!"
wait_udp_port "$ns2" 2105
printf '{"version": 1, "tunnels": [{"name": "blk", "rx_port": 2105, "tx_port": 2106, "routes": ["10.82.0.0/24"]}]}' \
    >/tmp/"$ns2".json
expect_fail 1 fouctl -n "$ns2" apply -c /tmp/"$ns2".json
[[ $LAST_ERR != *"rolling back"* ]] || fail "an apply with nothing done talked of rolling back"
[[ $(fouctl status --json -n "$ns2" | jq '.tunnels | length') == 0 ]] || fail "a failed apply left a tunnel"
