#!/bin/bash
# systemd-analyze security rates each fouctl unit at most its ceiling: 1.5 for fouctl.service,
# 1.7 for the running relay instance (tests/netns/cases/50_package.sh says why; the peer's
# IP allow list apply gives it counts 0.1, not 0.2: systemd rates only a localhost-only list
# as closed), or VMTEST_MAX_EXPOSURE for both when it is set.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

units=(fouctl.service)
unit_file fouctl-relay@.service >/dev/null && units+=("$RELAY_UNIT")
bad=() seen=()
for u in "${units[@]}"; do
    max=1.5
    [[ $u == fouctl-relay@* ]] && max=1.7
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
