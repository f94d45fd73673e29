#!/bin/bash
# `fouctl up` of a relay tunnel under systemd runs it as fouctl-relay@NAME.service with the
# tunnel's settings from /run (the name is not in /etc/fouctl/fouctl.json), so a crashed
# relay comes back; `up` again confirms it; `down` stops it and removes the unit's runtime
# files. An `up` that cannot work is refused before any file or unit is made.
# shellcheck source-path=SCRIPTDIR source=../../lib.sh
. "$(dirname "$0")/../../lib.sh"
# shellcheck source=../helpers.sh
. "$(dirname "$0")/../helpers.sh"

unit_file fouctl-relay@.service >/dev/null || skip "fouctl-relay@.service is not installed"
name=uprly unit=fouctl-relay@uprly.service
dropin=/run/systemd/system/$unit.d/50-fouctl-up.conf settings=/run/fouctl/up/uprly.json
up() { fouctl "$@" up 7100 7100 10.71.0.0/24 --mode userspace --name "$name" --address 10.71.1.1; }
# Whatever happens, the later checks must not find this tunnel.
on_exit sh -c "fouctl down $name >/dev/null 2>&1; fouctl down uprly2 >/dev/null 2>&1"

rc=0
up 2>/tmp/up.err || rc=$?
cat /tmp/up.err
((rc == 0)) || fail "fouctl up exited $rc"
grep -q "systemctl start $unit" /tmp/up.err || fail "up did not say it starts $unit"
[[ $(systemctl is-active "$unit") == active ]] || fail "$unit is not active after up"
[[ -f $dropin && -f $settings ]] || fail "no $dropin or $settings"
jq -e --arg n "$name" '.tunnels | length == 1 and .[0].name == $n' "$settings" >/dev/null ||
    fail "$settings does not hold exactly the tunnel $name"
peer_dropin=${dropin%/*}/60-fouctl-peer.conf
grep -qx 'IPAddressAllow=127.0.0.1' "$peer_dropin" && grep -qx 'IPAddressDeny=any' "$peer_dropin" ||
    fail "no allow list for the peer in $peer_dropin"
[[ $(unit_prop "$unit" DropInPaths) == *60-fouctl-peer.conf* ]] || fail "systemd does not read $peer_dropin"
pid=$(unit_prop "$unit" MainPID)
refresh || fail "fouctl status --json gave no JSON"
# The relay's own datagrams (to its peer, 127.0.0.1:7100, itself) pass the allow list.
rx0=$(tf "$name" .counters.rx_packets)
ping -n -c 2 -W 1 10.71.0.9 >/dev/null 2>&1 || true # nobody answers; the relay carries it
refresh || fail "fouctl status --json gave no JSON"
(($(tf "$name" .counters.rx_packets) > rx0)) ||
    fail "the relay received none of its own datagrams through IPAddressAllow (rx $rx0 -> $(tf "$name" .counters.rx_packets))"
tunnel_up "$name" || fail "$name is not up"
[[ $(tf "$name" .relay.pid) == "$pid" ]] || fail "status says relay pid $(tf "$name" .relay.pid), systemd $pid"

log "kill -9 $pid: systemd restarts it from the settings in /run"
kill -9 "$pid"
restarted() {
    local p
    p=$(unit_prop "$unit" MainPID)
    [[ $p != 0 && $p != "$pid" && $(systemctl is-active "$unit") == active ]]
}
wait_for 10 restarted || fail "$unit did not come back within 10 s of kill -9"
npid=$(unit_prop "$unit" MainPID)
ip route show 10.71.0.0/24 | grep -q "dev $name" || fail "no route 10.71.0.0/24 via $name after the restart"

log "up again: confirmed, not restarted; with another MTU: refused"
id=$(unit_prop "$unit" InvocationID)
up -q || fail "a second identical up failed"
[[ $(unit_prop "$unit" InvocationID) == "$id" ]] || fail "a second identical up restarted $unit"
rc=0
fouctl up 7100 7100 10.71.0.0/24 1200 --mode userspace --name "$name" --address 10.71.1.1 2>/tmp/up.err || rc=$?
cat /tmp/up.err
((rc != 0)) || fail "up with another MTU was accepted"
[[ $(unit_prop "$unit" MainPID) == "$npid" ]] || fail "the refused up touched the relay"

log "down: unit stopped, runtime files gone, nothing left"
fouctl down "$name" || fail "fouctl down $name failed"
state=$(systemctl is-active "$unit") || true
[[ $state == inactive ]] || fail "$unit is '$state' after down, not inactive"
[[ ! -e $dropin && ! -e $peer_dropin && ! -e $settings && ! -e ${dropin%/*} ]] ||
    fail "down left $dropin, $peer_dropin or $settings"
[[ $(unit_prop "$unit" DropInPaths) != *50-fouctl-up* ]] || fail "systemd still reads the drop-in"
ip link show "$name" >/dev/null 2>&1 && fail "device $name is left after down"
ip route show | grep -q 10.71.0.0/24 && fail "route 10.71.0.0/24 is left after down"

log "an up that cannot work (kfou's receive port) makes nothing"
rc=0
fouctl up 2001 2003 10.72.0.0/24 --mode userspace --name uprly2 2>/tmp/up.err || rc=$?
cat /tmp/up.err
((rc != 0)) || fail "up on kfou's receive port was accepted"
[[ ! -e /run/systemd/system/fouctl-relay@uprly2.service.d && ! -e /run/fouctl/up/uprly2.json ]] ||
    fail "the refused up left unit files"
state=$(systemctl is-active fouctl-relay@uprly2.service) || true
[[ $state == inactive ]] || fail "fouctl-relay@uprly2.service is '$state'"
note "up ran $unit (pid $pid), restarted as $npid after kill -9; down removed everything"
