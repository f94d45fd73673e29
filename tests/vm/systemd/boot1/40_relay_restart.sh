#!/bin/bash
# A relay killed with SIGKILL is restarted by systemd (fouctl-relay@NAME.service,
# Restart=) and its tunnel is up again within 10 s; the relay holds no capabilities.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

refresh || fail "fouctl status --json gave no JSON"
unit_file fouctl-relay@.service >/dev/null ||
    skip "fouctl-relay@.service is not installed: relays are not systemd units"
state=$(systemctl is-active "$RELAY_UNIT") || true
[[ $state == active ]] ||
    skip "apply did not run $RTUN as $RELAY_UNIT (is-active: $state); relay pid $(tf "$RTUN" .relay.pid)"
pid=$(unit_prop "$RELAY_UNIT" MainPID)
restarts=$(unit_prop "$RELAY_UNIT" NRestarts)
((pid > 0)) || fail "$RELAY_UNIT is active without a main PID"
spid=$(tf "$RTUN" .relay.pid)
[[ $spid == "$pid" ]] || fail "fouctl status says relay pid $spid, systemd MainPID $pid"
ifindex=$(tf "$RTUN" .ifindex)
log "$RELAY_UNIT: MainPID $pid, NRestarts $restarts, ifindex $ifindex; kill -9"
t=$SECONDS
kill -9 "$pid"
# restarted: systemd runs a new main process and it is active (Type=notify:
# active means the relay sent READY=1, so it relays again).
restarted() {
    local p
    p=$(unit_prop "$RELAY_UNIT" MainPID)
    [[ $p != 0 && $p != "$pid" && $(systemctl is-active "$RELAY_UNIT") == active ]]
}
if ! wait_for 10 restarted; then
    systemctl --no-pager status "$RELAY_UNIT" || true
    fail "$RELAY_UNIT was not active with a new main PID within 10 s of kill -9 (MainPID now $(unit_prop "$RELAY_UNIT" MainPID), $(systemctl is-active "$RELAY_UNIT"))"
fi
took=$((SECONDS - t))
npid=$(unit_prop "$RELAY_UNIT" MainPID)
# fouctl sees that process's tunnel up (a few more seconds: fouctl is slow under TCG).
seen() {
    refresh && tunnel_up "$RTUN" && [[ $(tf "$RTUN" .relay.pid) == "$npid" ]]
}
if ! wait_for 5 seen; then
    show_status
    fail "$RELAY_UNIT restarted as pid $npid, but fouctl status does not show $RTUN up with that pid"
fi
jq -c '.tunnels[] | {name, ifindex, up, pid: .relay.pid}' <<<"$STATUS"
(($(unit_prop "$RELAY_UNIT" NRestarts) > restarts)) || fail "NRestarts did not grow"
ip route show 10.70.0.0/24 | grep -q "dev $RTUN" || fail "no route 10.70.0.0/24 via $RTUN after the restart"
[[ $(systemctl is-active fouctl.service) == active ]] || fail "fouctl.service is no longer active"
# The unit hands the relay CAP_NET_ADMIN for setup; once relaying it keeps none.
for set in CapEff CapPrm CapAmb; do
    v=$(awk -v s="$set:" '$1 == s { print $2 }' /proc/"$npid"/status)
    [[ $v =~ ^0+$ ]] || fail "the running relay (pid $npid) still has capabilities: $set $v"
done
# Its own system user (sysusers.d), and a runtime directory only root and that user's group
# can enter (fouctl(8), "Trust model").
[[ $(ps -o user= -p "$npid") == _fouctl ]] || fail "the relay runs as $(ps -o user= -p "$npid"), not _fouctl"
[[ $(stat -c %U:%G:%a /run/fouctl/ns) == root:_fouctl:2750 ]] ||
    fail "/run/fouctl/ns is $(stat -c %U:%G:%a /run/fouctl/ns)"
rc=0
fouctl status >/dev/null 2>&1 || rc=$?
((rc == 0)) || fail "fouctl status exits $rc after the restart"
note "pid $pid -> $npid, active again within ${took}s of kill -9, ifindex $ifindex -> $(tf "$RTUN" .ifindex)"
