#!/bin/bash
# systemctl stop fouctl takes every fouctl tunnel down (fouctl down --all),
# relays included, and nothing comes back.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

t=$SECONDS
rc=0
timeout 60 systemctl stop fouctl.service || rc=$?
((rc == 0)) || fail "systemctl stop fouctl.service exited $rc"
took=$((SECONDS - t))
log "stop took ${took}s"
act=$(systemctl is-active fouctl.service) || true
[[ $act == inactive ]] || fail "fouctl.service is '$act' after stop"
# Long enough for a Restart= to bring a relay back if it were going to.
sleep 3
refresh || fail "fouctl status --json gave no JSON"
jq -c . <<<"$STATUS"
n=$(jq '.tunnels | length' <<<"$STATUS")
((n == 0)) || fail "after stop fouctl still lists $n tunnel(s): $(jq -r '[.tunnels[].name] | join(" ")' <<<"$STATUS")"
links=$(ip -d -o link show | grep -E 'fouctl:v1' || true)
[[ -z $links ]] || fail "fouctl devices left: $links"
for dev in "$KTUN" "$RTUN"; do
    ! ip link show "$dev" >/dev/null 2>&1 || fail "device $dev is still there"
done
fou=$(ip fou show 2>/dev/null || true)
[[ $fou != *"port 2001"* ]] || fail "FOU port 2001 is still open: $fou"
routes=$(ip route show proto 252 || true)
[[ -z $routes ]] || fail "fouctl routes left: $routes"
if unit_file fouctl-relay@.service >/dev/null; then
    state=$(systemctl is-active "$RELAY_UNIT") || true
    [[ $state != active && $state != activating ]] ||
        fail "$RELAY_UNIT is '$state' after systemctl stop fouctl"
fi
procs=$(pgrep -a -x fouctl || true)
[[ -z $procs ]] || fail "fouctl processes left: $procs"
note "stop took ${took}s"
