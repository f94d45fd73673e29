#!/bin/bash
# systemd-analyze security rates each fouctl unit at most 1.5: fouctl.service, and the
# running relay instance with the peer's allow list apply gives it (the bare template is
# 1.7 offline: tests/netns/cases/50_package.sh says why), or VMTEST_MAX_EXPOSURE for both
# when it is set.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

units=(fouctl.service)
unit_file fouctl-relay@.service >/dev/null && units+=("$RELAY_UNIT")
bad=() seen=()
for u in "${units[@]}"; do
    max=1.5
    [[ -n ${VMTEST_MAX_EXPOSURE:-} ]] && max=$VMTEST_MAX_EXPOSURE
    rc=0
    out=$(systemd-analyze security --no-pager "$u" 2>&1) || rc=$?
    level=$(sed -nE 's/.*Overall exposure level for [^:]*: ([0-9]+\.[0-9]+).*/\1/p' <<<"$out")
    [[ -n $level ]] || { printf '%s\n' "$out"; fail "no exposure level for $u (exit $rc)"; }
    seen+=("$u $level (max $max)")
    if awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
        bad+=("$u $level")
        log "$u: $level > $max; its unsafe settings:"
        # The table rows that cost exposure: marked "-" (or a cross in a UTF-8 locale).
        grep -E '^(- |✗ )' <<<"$out" || printf '%s\n' "$out"
    fi
done
((${#bad[@]} == 0)) || fail "exposure above the ceiling: ${bad[*]} (all: ${seen[*]})"
note "exposure: ${seen[*]}"
