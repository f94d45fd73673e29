#!/bin/bash
# After a reboot every tunnel is back without any command, with boot 1's
# reloaded settings.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

act=$(systemctl is-active fouctl.service) || true
[[ $act == active ]] || fail "fouctl.service is '$act' after the reboot"
refresh || fail "fouctl status --json gave no JSON"
jq -c '.tunnels[] | {name, ifindex, mtu, up, pid: .relay.pid}' <<<"$STATUS"
tunnel_up "$KTUN" || fail "kernel tunnel $KTUN is not up after the reboot"
tunnel_up "$RTUN" || fail "relay tunnel $RTUN is not up after the reboot"
want=$(jq -r --arg n "$KTUN" '.tunnels[] | select(.name == $n) | .mtu' "$CONFIG")
got=$(tf "$KTUN" .mtu)
[[ $got == "$want" ]] || fail "$KTUN has mtu $got after the reboot, the config says $want"
rc=0
fouctl status >/dev/null 2>&1 || rc=$?
((rc == 0)) || fail "fouctl status exits $rc: drift after the reboot"
if unit_file fouctl-relay@.service >/dev/null; then
    state=$(systemctl is-active "$RELAY_UNIT") || true
    note "mtu $got kept; $RELAY_UNIT $state"
fi
