#!/bin/bash
# The command line on this machine's kernel: status in an empty namespace, down of a
# tunnel that is not up, down of a device fouctl did not make, usage errors. Nothing
# may change in the namespace.
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

snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after
