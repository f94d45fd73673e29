# shellcheck shell=bash
# Helpers for the systemd VM lane's checks (bootN/*.sh), sourced after
# tests/vm/lib.sh inside the guest.
# shellcheck disable=SC2034   # the names below are for the checks

CONFIG=/etc/fouctl/fouctl.json
KTUN=kfou             # the config's kernel tunnel (fouctl.json next to run)
RTUN=rfou             # and its relay tunnel
RELAY_UNIT=fouctl-relay@$RTUN.service

# note TEXT: a remark shown on the check's PASS line.
note() {
    if [[ -n ${VMTEST_NOTE:-} ]]; then printf '%s\n' "$*" >>"$VMTEST_NOTE"; fi
    log "$*"
}

# unit_file NAME: prints the path of unit file NAME, false if none.
unit_file() {
    local d
    for d in /etc/systemd/system /usr/lib/systemd/system /lib/systemd/system; do
        [[ -f $d/$1 ]] && { echo "$d/$1"; return 0; }
    done
    return 1
}

# status_json: `fouctl status --json` (exit 0, or 3 for drift, both fine).
status_json() {
    local out rc=0
    out=$(fouctl status --json 2>/dev/null) || rc=$?
    ((rc == 0 || rc == 3)) || return 1
    jq -e . >/dev/null 2>&1 <<<"$out" || return 1
    printf '%s\n' "$out"
}

# refresh: reads the status into $STATUS (fouctl runs slowly under TCG, so
# one call answers several questions); false when there is no JSON.
STATUS='{"tunnels": []}'
refresh() {
    local js
    js=$(status_json) || return 1
    STATUS=$js
}

# tf NAME FILTER: jq FILTER applied to tunnel NAME in $STATUS (null when
# the tunnel is not listed).
tf() {
    jq -r --arg n "$1" "[.tunnels[] | select(.name == \$n) | $2] |
        if length == 0 then null else .[0] end" <<<"$STATUS"
}

# tunnel_up NAME: true when $STATUS lists NAME as up.
tunnel_up() {
    [[ $(tf "$1" .up) == true ]]
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# unit_prop UNIT PROP: systemctl show's value.
unit_prop() {
    systemctl show -p "$2" --value "$1"
}

# show_status: what fouctl sees, for the log.
show_status() {
    log "fouctl status"
    fouctl status || true
}
