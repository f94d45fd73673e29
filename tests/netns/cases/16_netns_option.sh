#!/bin/bash
# `fouctl -n NAME`, as `ip -n NAME`: every verb works in /run/netns/NAME without
# `ip netns exec`, the relay and the lock live there, and nothing touches the caller's
# namespace. Bad names and missing namespaces are refused before anything is done.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

ns=${FOUCTL_TEST_ID:-fx}nsopt
netns_add "$ns"
snapshot /tmp/"$ns".before "$ns"
snapshot /tmp/"$ns".host
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"

log "up, status, plan, apply and down with -n"
check fouctl -n "$ns" -q up 2001 2002 10.62.0.0/24 --mode userspace
ip -n "$ns" route show 10.62.0.0/24 | grep -q 'dev fou2001' || fail "no route in $ns"
ip link show fou2001 >/dev/null 2>&1 && fail "the tunnel appeared in the caller's namespace"
[[ $(fouctl -n "$ns" status --json | jq -r '.tunnels[0].name') == fou2001 ]] ||
    fail "status -n does not show the tunnel"
[[ $(fouctl status --json | jq '.tunnels | length') == 0 ]] ||
    fail "status without -n shows another namespace's tunnel"
# The relay runs in $ns: its control socket is found there, and not here.
pid=$(fouctl -n "$ns" status --json | jq '.tunnels[0].relay.pid')
have=$(stat -L -c %i /proc/"$pid"/ns/net) want=$(stat -L -c %i /run/netns/"$ns")
[[ $have == "$want" ]] || fail "the relay (pid $pid) is in netns inode $have, not $ns ($want)"
check fouctl -n "$ns" -q down 2001
cat >"$tmp"/c.json <<'JSON'
{"version": 1, "tunnels": [{"name": "n1", "rx_port": 2003, "tx_port": 2004, "mode": "userspace",
  "routes": ["10.62.1.0/24"]}]}
JSON
expect_fail 3 fouctl -n "$ns" plan -c "$tmp"/c.json
check fouctl -n "$ns" -q apply -c "$tmp"/c.json
check fouctl -n "$ns" plan -c "$tmp"/c.json
ip -n "$ns" link show n1 >/dev/null || fail "apply -n made no device n1 in $ns"
check fouctl -n "$ns" -q down -c "$tmp"/c.json
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after

log "the lock is per namespace: -n waits for a holder in the same namespace only"
lockfile=$(fouctl_rundir "$ns")/lock
[[ -d /run/fouctl/ns ]] || install -d -m 0700 /run/fouctl/ns
install -d -m 0700 "$(dirname "$lockfile")"
: >>"$lockfile"
# The holder is one process (the subshell becomes sleep, keeping the locked descriptor),
# so that killing it releases the lock: namespace inodes are reused, and a lock left
# held would stall a later case whose namespace gets this one's directory.
(
    exec 9<"$lockfile"
    flock 9
    exec sleep 30
) &
holder=$!
on_exit kill "$holder"
for ((i = 0; i < 50; i++)); do
    flock -n "$lockfile" true || break
    sleep 0.1
done
expect_fail 1 env FOUCTL_LOCK_TIMEOUT=1 fouctl -n "$ns" up 2001 2002 10.62.0.0/24 --mode userspace
expect_stderr_contains "is still locked by pid"
kill "$holder"
wait "$holder" 2>/dev/null || true

log "bad -n arguments change nothing"
expect_fail 2 fouctl -n "${ns}-missing" up 2001 2002 10.62.0.0/24 --mode userspace
expect_stderr_contains "no network namespace '${ns}-missing'"
expect_fail 2 fouctl -n ../etc up 2001 2002 10.62.0.0/24 --mode userspace
expect_stderr_contains "not a network namespace name"
expect_fail 2 fouctl -n "" status
: >"$tmp"/not-a-ns
mkdir -p /run/netns
mount --bind "$tmp"/not-a-ns /run/netns/"${ns}-file" 2>/dev/null ||
    cp "$tmp"/not-a-ns /run/netns/"${ns}-file"
on_exit sh -c "umount /run/netns/${ns}-file 2>/dev/null; rm -f /run/netns/${ns}-file"
expect_fail 2 fouctl -n "${ns}-file" status
expect_stderr_contains "is not a network namespace"
# check reads a file only and needs no namespace.
check fouctl -n "${ns}-missing" check -c "$tmp"/c.json
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after
snapshot /tmp/"$ns".host2
same_snapshot /tmp/"$ns".host /tmp/"$ns".host2
