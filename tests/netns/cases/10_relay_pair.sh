#!/bin/bash
# Two hosts over a veth underlay, each with the userspace relay (--mode userspace; on this
# kernel `auto` takes the BPF datapath, see 60_bpf_pair). Ping, an 8 MiB TCP transfer
# checked by sha256, counters, privileges, idempotent up (in auto mode too, which keeps a
# tunnel's backend), and a down that leaves the namespaces exactly as before.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}ra b=${FOUCTL_TEST_ID:-fx}rb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.110.1/24 "$b" ul0 192.168.110.2/24
snapshot /tmp/"$a".before "$a"
snapshot /tmp/"$b".before "$b"

check in_ns "$a" fouctl up 5555 5555 10.60.0.2 --peer 192.168.110.2 --local 192.168.110.1 \
    --address 10.60.0.1 --mode userspace
check in_ns "$b" fouctl -q up 5555 5555 10.60.0.1 --peer 192.168.110.1 --local 192.168.110.2 \
    --address 10.60.0.2 --mode userspace

ping_all "$a" 10.60.0.2
ping_all "$b" 10.60.0.1

log "the relay runs as its own system user (or an unused uid), not root or nobody"
pid=$(in_ns "$a" fouctl status --json | jq '.tunnels[0].relay.pid')
ruid=$(ps -o uid= -p "$pid" | tr -d ' ')
relay_uid_ok "$ruid" || fail "relay pid $pid runs as uid $ruid"
[[ $(in_ns "$a" fouctl status --json | jq -r '.tunnels[0].mode') == userspace ]] || fail "mode"

log "8 MiB over TCP"
check dd if=/dev/urandom of=/tmp/"$a".in bs=1M count=8 status=none
ip netns exec "$b" timeout 60 socat -u TCP-LISTEN:9000,bind=10.60.0.2,reuseaddr \
    CREATE:/tmp/"$b".out &
sink=$!
on_exit kill "$sink"
wait_tcp_port "$b" 9000
check in_ns "$a" timeout 60 socat -u OPEN:/tmp/"$a".in TCP:10.60.0.2:9000
wait "$sink" || fail "the receiving socat failed"
[[ $(sha256sum </tmp/"$a".in) == "$(sha256sum </tmp/"$b".out)" ]] || fail "checksums differ"
rm -f /tmp/"$a".in /tmp/"$b".out
st=$(in_ns "$b" fouctl status --json)
jq -c '.tunnels[0] | {counters, drops: .relay.drops}' <<<"$st"
(($(jq '.tunnels[0].counters.rx_bytes' <<<"$st") > 8 * 1024 * 1024)) ||
    fail "the relay counted fewer bytes than were sent"
(($(jq '[.tunnels[0].relay.drops[]] | add' <<<"$st") == 0)) || fail "the relay dropped packets"

log "up again changes nothing, in auto mode too (it keeps the tunnel's backend)"
in_ns "$a" fouctl up 5555 5555 10.60.0.2 --peer 192.168.110.2 --local 192.168.110.1 \
    --address 10.60.0.1 2>/tmp/"$a".again || fail "second up failed"
grep -q 'already up' /tmp/"$a".again || fail "second up did not say it was already up"
[[ $(in_ns "$a" fouctl status --json | jq '.tunnels[0].relay.pid') == "$pid" ]] ||
    fail "the relay was restarted"
expect_fail 1 in_ns "$a" fouctl up 5555 5555 10.60.0.2 1400 --peer 192.168.110.2 \
    --local 192.168.110.1 --address 10.60.0.1
expect_stderr_contains "other settings: MTU is 1472, not 1400"

log "down leaves nothing"
check in_ns "$a" fouctl down 5555
check in_ns "$b" fouctl down fou5555
kill -0 "$pid" 2>/dev/null && [[ $(ps -o stat= -p "$pid") != Z* ]] && fail "relay $pid still runs"
snapshot /tmp/"$a".after "$a"
snapshot /tmp/"$b".after "$b"
same_snapshot /tmp/"$a".before /tmp/"$a".after
same_snapshot /tmp/"$b".before /tmp/"$b".after
[[ -z $(ip netns pids "$a") ]] || fail "processes left in $a: $(ip netns pids "$a")"
