#!/bin/bash
# Every man: page a fouctl unit names in Documentation= is installed.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

units=(fouctl.service)
unit_file fouctl-relay@.service >/dev/null && units+=("$RELAY_UNIT")
missing=() found=()
for u in "${units[@]}"; do
    docs=$(unit_prop "$u" Documentation)
    log "$u: Documentation=$docs"
    for doc in $docs; do
        doc=${doc//\"/}
        [[ $doc =~ ^man:([^()]+)\(([0-9])\)$ ]] || continue
        page=${BASH_REMATCH[1]} sec=${BASH_REMATCH[2]}
        if compgen -G "/usr/share/man/man$sec/$page.$sec*" >/dev/null; then
            found+=("$page($sec)")
        else
            missing+=("$u: $page($sec)")
        fi
    done
done
((${#missing[@]} == 0)) ||
    fail "Documentation= names pages that are not installed: ${missing[*]}"
((${#found[@]})) || { note "the units name no man: pages"; exit 0; }
note "installed: $(printf '%s\n' "${found[@]}" | sort -u | paste -sd' ' -)"
