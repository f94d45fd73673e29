#!/bin/bash
# Local trust boundaries: an unprivileged process in the same network namespace plays the
# squatter against root's fouctl. It takes the old abstract lock and relay names first,
# tries root's runtime directory, plants a socket that forges a status naming a victim
# process, sends "stop" to a relay, and serves a relay socket in its own runtime
# directory. Nothing fouctl did not start may be killed, nothing may hang, and every
# refusal names the squatter's uid and pid.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

helpers=$(cd "$(dirname "$0")/../helpers" && pwd)
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

# as_uid UID NS CMD...: CMD in NS as UID (gid 65534, no groups), with no capabilities.
as_uid() {
    local uid=$1 ns=$2
    shift 2
    ip netns exec "$ns" setpriv --reuid="$uid" --regid=65534 --clear-groups "$@"
}
# fake_relay NS OUT ADDR [UID]: starts the forging server; sets fake_pid once it listens.
fake_relay() {
    local ns=$1 out=$2 addr=$3
    shift 3
    : >"$out"
    ip netns exec "$ns" timeout 60 /usr/bin/python3 "$helpers/fake_relay.py" "$addr" "$victim" "$@" >"$out" &
    on_exit kill "$!"
    local i
    for ((i = 0; i < 50; i++)); do
        fake_pid=$(sed -nE 's/^listening ([0-9]+)$/\1/p' "$out")
        [[ -n $fake_pid ]] && return 0
        sleep 0.1
    done
    fail "the fake relay at $addr did not start"
}
alive() { kill -0 "$victim" 2>/dev/null || fail "the victim process $victim was killed"; }
relay_pid() {
    in_ns "$1" fouctl status --json 2>/dev/null | jq -r --arg n "$2" '.tunnels[] | select(.name == $n) | .relay.pid'
}

a=${FOUCTL_TEST_ID:-fx}qa b=${FOUCTL_TEST_ID:-fx}qb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.114.1/24 "$b" ul0 192.168.114.2/24
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"
# A root process that nothing below may kill.
sleep 300 &
victim=$!
on_exit kill "$victim"

log "1. the abstract lock and relay names of old, taken first by nobody, steer nothing"
fake_relay "$a" "$tmp/f1" @fouctl/relay/fou2001 65534
ip netns exec "$a" setpriv --reuid=65534 --regid=65534 --clear-groups timeout 60 /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0fouctl/lock")
time.sleep(60)' &
on_exit kill "$!"
t0=$(date +%s%N)
check timeout 20 ip netns exec "$a" fouctl up 2001 2002 10.64.0.2 --peer 192.168.114.2 \
    --local 192.168.114.1 --address 10.64.0.1 --mode userspace
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 5000)) || fail "up took $ms ms with the old names squatted"
check in_ns "$b" fouctl -q up 2002 2001 10.64.0.1 --peer 192.168.114.1 --local 192.168.114.2 \
    --address 10.64.0.2 --mode userspace
ping_all "$a" 10.64.0.2
pid=$(relay_pid "$a" fou2001)
[[ $pid =~ ^[0-9]+$ && $pid != "$victim" && $pid != "$fake_pid" ]] || fail "status shows relay pid '$pid'"
[[ $(ps -o comm= -p "$pid") == fouctl ]] || fail "pid $pid is not a fouctl relay"
relay_uid_ok "$(ps -o uid= -p "$pid" | tr -d ' ')" || fail "relay $pid runs as the wrong uid"
alive

log "2. nobody cannot reach root's runtime directory"
rundir=$(fouctl_rundir "$a")
[[ $(stat -c %u "$rundir") == 0 && $(($(stat -c '0%a' "$rundir") & 07)) == 0 ]] ||
    fail "$rundir is $(stat -c '%U %a' "$rundir")"
expect_fail 3 as_uid 65534 "$a" /usr/bin/python3 "$helpers/control_send.py" "$rundir/relay/fou2001" stop
expect_fail 1 as_uid 65534 "$a" touch "$rundir/lock"
expect_fail 1 as_uid 65534 "$a" mkdir /run/fouctl/ns/squat
[[ $(relay_pid "$a" fou2001) == "$pid" ]] || fail "the relay changed"

log "3. a socket planted in root's directory, served by uid 65534, is not believed"
fake_relay "$a" "$tmp/f3" "$rundir/relay/fake0" 65534
st=$(in_ns "$a" fouctl status --json 2>"$tmp/st.err")
[[ $(jq '[.tunnels[] | select(.name == "fake0")] | length' <<<"$st") == 0 ]] ||
    fail "status shows the planted relay"
grep -q "served by uid 65534 (pid $fake_pid)" "$tmp/st.err" ||
    fail "status does not name the squatter: $(cat "$tmp/st.err")"
in_ns "$a" fouctl down fake0 2>"$tmp/down.err" || fail "down fake0: $(cat "$tmp/down.err")"
grep -q "served by uid 65534 (pid $fake_pid)" "$tmp/down.err" ||
    fail "down does not name the squatter: $(cat "$tmp/down.err")"
grep -q "is not up" "$tmp/down.err" || fail "down believed the planted relay"
alive
kill -0 "$fake_pid" || fail "down killed the squatter's process"
[[ ! -e $rundir/relay/fake0 ]] || fail "the planted socket, holding no relay lock, was left in place"
log "   ... and up replaces one, saying whose it was"
fake_relay "$a" "$tmp/f3b" "$rundir/relay/fake0" 65534
in_ns "$a" fouctl up 2003 2004 10.64.1.2 --peer 192.168.114.2 --local 192.168.114.1 \
    --name fake0 --mode userspace 2>"$tmp/up.err" || fail "up fake0: $(cat "$tmp/up.err")"
grep -q "replaced the control socket of 'fake0', which uid 65534 (pid $fake_pid) served" "$tmp/up.err" ||
    fail "up does not name the squatter: $(cat "$tmp/up.err")"
fpid=$(relay_pid "$a" fake0)
[[ $fpid =~ ^[0-9]+$ && $fpid != "$victim" && $fpid != "$fake_pid" ]] || fail "fake0 relay pid '$fpid'"
check in_ns "$a" fouctl -q down fake0
alive

log "4. even with the directory opened up, the relay refuses 'stop' from other uids"
read -r m1 m2 m3 <<<"$(stat -c '%a' /run/fouctl/ns "$rundir" "$rundir/relay" | tr '\n' ' ')"
on_exit chmod "$m1" /run/fouctl/ns
chmod o+x /run/fouctl/ns "$rundir" "$rundir/relay"
for uid in 65534 4242; do
    out=$(as_uid "$uid" "$a" /usr/bin/python3 "$helpers/control_send.py" "$rundir/relay/fou2001" stop) ||
        fail "uid $uid could not connect once opened up: $out"
    [[ $out == "error: uid $uid (pid "*") may not stop this relay" ]] || fail "uid $uid got: $out"
done
chmod "$m1" /run/fouctl/ns
chmod "$m2" "$rundir"
chmod "$m3" "$rundir/relay"
[[ $(relay_pid "$a" fou2001) == "$pid" ]] || fail "the relay stopped on a stranger's request"
ping_all "$a" 10.64.0.2

log "5. a user's relay is believed only for a TUN device root made for that user"
user_rundir 65534
udir=/run/user/65534/fouctl/ns/$(basename "$rundir")/relay
check as_uid 65534 "$a" install -d -m 0700 /run/user/65534/fouctl /run/user/65534/fouctl/ns \
    "$(dirname "$udir")" "$udir"
check ip -n "$a" tuntap add dev tunr mode tun
check ip -n "$a" tuntap add dev tunu mode tun user 65534
fake_relay "$a" "$tmp/f5r" "$udir/tunr" 65534
fake_relay "$a" "$tmp/f5u" "$udir/tunu" 65534
upid=$fake_pid
st=$(in_ns "$a" fouctl status --json)
[[ $(jq '[.tunnels[] | select(.name == "tunr")] | length' <<<"$st") == 0 ]] ||
    fail "status believes a user's relay for root's TUN device"
[[ $(jq '.tunnels[] | select(.name == "tunu") | .relay.pid' <<<"$st") == "$upid" ]] ||
    fail "status: tunu's relay pid is not its server's: $(jq -c '.tunnels[] | select(.name == "tunu")' <<<"$st")"
log "   down of a user's relay that does not stop: the kill reaches the proven server only"
in_ns "$a" fouctl down tunu 2>"$tmp/down5.err" || fail "down tunu: $(cat "$tmp/down5.err")"
grep -q "kill -KILL $upid" "$tmp/down5.err" || fail "down tunu: $(cat "$tmp/down5.err")"
for ((i = 0; i < 30; i++)); do
    kill -0 "$upid" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$upid" 2>/dev/null && fail "the user's unresponsive relay process survived down"
alive
check ip -n "$a" tuntap del dev tunr mode tun
check ip -n "$a" tuntap del dev tunu mode tun

log "6. down removes the relays, and the namespace's runtime directory with the last one"
check in_ns "$a" fouctl -q down fou2001
check in_ns "$b" fouctl -q down fou2002
[[ ! -e $rundir ]] || fail "$rundir is left behind: $(ls -la "$rundir" "$rundir/relay" 2>&1)"
alive
