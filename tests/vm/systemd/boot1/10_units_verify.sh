#!/bin/bash
# systemd-analyze verify finds nothing to say about the installed units
# (--man=no: the guest has no man-db; 12_units_docs checks the pages).
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

paths=()
main=$(unit_file fouctl.service) || fail "fouctl.service is not installed"
paths+=("$main")
if relay=$(unit_file fouctl-relay@.service); then
    paths+=("$relay")
else
    note "no fouctl-relay@.service installed: verified fouctl.service only"
fi
log "systemd-analyze verify --man=no ${paths[*]}"
rc=0
out=$(systemd-analyze verify --man=no "${paths[@]}" 2>&1) || rc=$?
printf '%s\n' "$out"
((rc == 0)) || fail "systemd-analyze verify exited $rc: $(head -n1 <<<"$out")"
[[ -z $out ]] || fail "systemd-analyze verify is not clean: $(head -n1 <<<"$out")"
