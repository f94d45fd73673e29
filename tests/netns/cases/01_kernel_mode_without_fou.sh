#!/bin/bash
# On a kernel without FOU (this machine's), --mode kernel must fail with a message
# naming the missing module and kernel option, and change nothing.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

ns=${FOUCTL_TEST_ID:-fx}nofou
netns_add "$ns"
if ip -n "$ns" fou show >/dev/null 2>&1; then
    skip "this kernel has FOU; the VM lane covers kernel mode"
fi
snapshot /tmp/"$ns".before "$ns"
expect_fail 1 in_ns "$ns" fouctl up 2001 2002 10.0.2.2 100 --mode kernel
expect_stderr_contains "the kernel has no 'fou' module (CONFIG_NET_FOU)"
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after
