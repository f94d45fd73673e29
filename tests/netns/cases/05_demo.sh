#!/bin/bash
# The README's first quick-start command, exactly as documented: `tests/demo` (as root, in
# the checkout, default build directory). It must build, carry the pings, show status, and
# leave no namespace, process or device behind.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

repo=$(cd "$(dirname "$0")/../../.." && pwd)
out=$(mktemp)
on_exit rm -f "$out"
before=$(ip netns list | grep -c '^fouctl-demo-' || true)
(cd "$repo" && tests/demo) >"$out" 2>&1 || fail "tests/demo failed: $(tail -20 "$out")"
cat "$out"
grep -q '^=== demo done: nothing left behind$' "$out" || fail "the demo did not finish"
grep -q ' 0% packet loss' "$out" || fail "no ping got through"
grep -q '^tunnel fou2001 (' "$out" || fail "status did not show the tunnel"
[[ $(ip netns list | grep -c '^fouctl-demo-' || true) == "$before" ]] ||
    fail "the demo left a namespace behind"
! pgrep -f 'fouctl-demo-' >/dev/null || fail "the demo left a process behind"
