#!/bin/bash
# Upgrading the package (dpkg -i of a newer version, as apt does) leaves running tunnels
# alone: fouctl.service is neither stopped (its ExecStop is `down --all`) nor restarted,
# the kernel tunnel keeps its device, and the relay keeps its process.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

[[ ${VMTEST_DELIVERY:-} == deb ]] || skip "fouctl was installed from files, not a .deb: no upgrade to test"
deb=/opt/fouctl-vmtest/fouctl-upgrade.deb
[[ -f $deb ]] || fail "the host put no newer package at $deb"
refresh || fail "fouctl status --json gave no JSON"
tunnel_up "$KTUN" || fail "kernel tunnel $KTUN is not up before the upgrade"
tunnel_up "$RTUN" || fail "relay tunnel $RTUN is not up before the upgrade"
ifindex=$(tf "$KTUN" .ifindex)
relay_pid=$(tf "$RTUN" .relay.pid)
svc=$(unit_prop fouctl.service InvocationID)
relay_svc=$(unit_prop "$RELAY_UNIT" InvocationID)
old=$(dpkg-query -W -f '${Version}' fouctl)
new=$(dpkg-deb -f "$deb" Version)
dpkg --compare-versions "$new" gt "$old" || fail "$deb ($new) is not newer than $old"
log "upgrading $old -> $new; fouctl.service $svc, $RELAY_UNIT $relay_svc (pid $relay_pid)"

rc=0
DEBIAN_FRONTEND=noninteractive timeout 60 dpkg -i "$deb" >/tmp/upgrade.log 2>&1 || rc=$?
cat /tmp/upgrade.log
((rc == 0)) || fail "dpkg -i $deb exited $rc"
[[ $(dpkg-query -W -f '${Version}' fouctl) == "$new" ]] || fail "fouctl $new is not installed"

[[ $(systemctl is-active fouctl.service) == active ]] || fail "fouctl.service is not active after the upgrade"
[[ $(unit_prop fouctl.service InvocationID) == "$svc" ]] ||
    fail "the upgrade restarted fouctl.service (its stop takes every tunnel down)"
[[ $(unit_prop "$RELAY_UNIT" InvocationID) == "$relay_svc" ]] || fail "the upgrade restarted $RELAY_UNIT"
refresh || fail "fouctl status --json gave no JSON after the upgrade"
tunnel_up "$KTUN" || fail "kernel tunnel $KTUN is down after the upgrade"
[[ $(tf "$KTUN" .ifindex) == "$ifindex" ]] || fail "the upgrade recreated $KTUN"
tunnel_up "$RTUN" || fail "relay tunnel $RTUN is down after the upgrade"
[[ $(tf "$RTUN" .relay.pid) == "$relay_pid" ]] || fail "the relay changed process (pid $relay_pid)"
# The new binary works with what the old one set up.
fouctl plan >/dev/null || fail "fouctl $new plans changes for tunnels fouctl $old applied"
note "$old -> $new: fouctl.service and $RELAY_UNIT not restarted, $KTUN ifindex $ifindex, relay pid $relay_pid kept"
