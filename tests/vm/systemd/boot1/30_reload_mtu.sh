#!/bin/bash
# systemctl reload fouctl applies an edited config in place: new MTU on the
# same device, the relay left alone.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

refresh || fail "fouctl status --json gave no JSON"
tunnel_up "$KTUN" || fail "kernel tunnel $KTUN is not up before the reload"
ifindex=$(tf "$KTUN" .ifindex)
mtu=$(tf "$KTUN" .mtu)
relay_pid=$(tf "$RTUN" .relay.pid)
new=$((mtu - 100))
log "$KTUN: ifindex $ifindex, mtu $mtu -> $new; relay pid $relay_pid"
tmp=$(mktemp)
jq --arg n "$KTUN" --argjson m "$new" '(.tunnels[] | select(.name == $n)).mtu = $m' \
    "$CONFIG" >"$tmp"
cat "$tmp" >"$CONFIG"
rm -f "$tmp"
[[ $(unit_prop fouctl.service CanReload) == yes ]] ||
    fail "fouctl.service has no ExecReload=: systemctl reload cannot apply the config"
t=$SECONDS
rc=0
timeout 60 systemctl reload fouctl.service || rc=$?
((rc == 0)) || fail "systemctl reload fouctl.service exited $rc"
took=$((SECONDS - t))
log "reload took ${took}s"
[[ $(systemctl is-active fouctl.service) == active ]] || fail "fouctl.service is not active after the reload"
refresh || fail "fouctl status --json gave no JSON"
jq -c '.tunnels[] | {name, ifindex, mtu, up, pid: .relay.pid}' <<<"$STATUS"
got=$(tf "$KTUN" .mtu)
[[ $got == "$new" ]] || fail "after reload $KTUN has mtu $got, want $new"
[[ $(ip -o link show "$KTUN") == *" mtu $new "* ]] || fail "the kernel does not show mtu $new on $KTUN"
got=$(tf "$KTUN" .ifindex)
[[ $got == "$ifindex" ]] || fail "reload recreated $KTUN (ifindex $ifindex -> $got)"
tunnel_up "$RTUN" || fail "relay tunnel $RTUN is down after the reload"
got=$(tf "$RTUN" .relay.pid)
[[ $got == "$relay_pid" ]] || fail "reload restarted the unchanged relay (pid $relay_pid -> $got)"
note "mtu $mtu -> $new on ifindex $ifindex, reload took ${took}s"
