#!/bin/bash
# Enabled fouctl.service brings up both tunnels of /etc/fouctl/fouctl.json at
# boot: the kernel one and the relay (as fouctl-relay@NAME.service if installed).
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

en=$(systemctl is-enabled fouctl.service 2>&1) || true
[[ $en == enabled ]] || fail "fouctl.service is '$en', not enabled"
act=$(systemctl is-active fouctl.service) || true
[[ $act == active ]] || fail "fouctl.service is '$act' after boot"
refresh || fail "fouctl status --json gave no JSON"
jq . <<<"$STATUS"
tunnel_up "$KTUN" || fail "kernel tunnel $KTUN is not up"
tunnel_up "$RTUN" || fail "relay tunnel $RTUN is not up"
[[ $(tf "$KTUN" .mode) == kernel ]] || fail "$KTUN is not a kernel tunnel"
[[ $(tf "$KTUN" .rx_port_open) == true ]] || fail "$KTUN's FOU port 2001 is not open"
[[ $(tf "$RTUN" .mode) == userspace ]] || fail "$RTUN is not a relay"
ip route show 10.0.2.2 | grep -q "dev $KTUN" || fail "no route 10.0.2.2 via $KTUN"
ip route show 10.70.0.0/24 | grep -q "dev $RTUN" || fail "no route 10.70.0.0/24 via $RTUN"
show_status
rc=0
fouctl status >/dev/null 2>&1 || rc=$?
((rc == 0)) || fail "fouctl status exits $rc: the system drifted from the config right after boot"
if unit_file fouctl-relay@.service >/dev/null; then
    note "relay runs as $RELAY_UNIT: $(systemctl is-active "$RELAY_UNIT")"
fi
