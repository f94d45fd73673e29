#!/bin/bash
# Relay lifecycle: kill -9 of the relay, then down leaves nothing and up works again;
# --foreground (the socat variant) cleans up on SIGINT and SIGTERM; bad options are
# refused with no change.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

ns=${FOUCTL_TEST_ID:-fx}life
netns_add "$ns"
snapshot /tmp/"$ns".before "$ns"
up() { in_ns "$ns" fouctl -q up 2001 2002 10.61.0.0/24 100 --address 10.61.1.1/24 --mode userspace "$@"; }

log "kill -9, then down, then up again"
check up
pid=$(in_ns "$ns" fouctl status --json | jq '.tunnels[0].relay.pid')
kill -9 "$pid"
for ((i = 0; i < 50; i++)); do ip -n "$ns" link show fou2001 >/dev/null 2>&1 || break; sleep 0.1; done
in_ns "$ns" fouctl down 2001 2>/tmp/"$ns".down || fail "down after kill -9 failed"
cat /tmp/"$ns".down
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after
check up
check in_ns "$ns" fouctl -q down 2001

log "--foreground: SIGINT and SIGTERM take the tunnel down"
for sig in INT TERM; do
    ip netns exec "$ns" timeout 30 fouctl up 2001 2002 10.61.0.0/24 --mode userspace \
        --foreground 2>/tmp/"$ns".fg &
    fg=$!
    on_exit kill "$fg"
    for ((i = 0; i < 50; i++)); do ip -n "$ns" link show fou2001 >/dev/null 2>&1 && break; sleep 0.1; done
    ip -n "$ns" route show 10.61.0.0/24 | grep -q fou2001 || fail "foreground relay did not come up"
    # timeout(1) passes the signal on to fouctl.
    kill -"$sig" "$fg"
    rc=0
    wait "$fg" || rc=$?
    cat /tmp/"$ns".fg
    ((rc == 0)) || fail "foreground relay exited $rc on SIG$sig"
    grep -q "tunnel 'fou2001' is down" /tmp/"$ns".fg || fail "no 'is down' after SIG$sig"
    snapshot /tmp/"$ns".after "$ns"
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
done

log "bad relay options: exit 2, no change"
refused() {
    expect_fail 2 in_ns "$ns" fouctl "$@"
    snapshot /tmp/"$ns".after "$ns"
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
}
refused up 2001 2002 10.61.0.0/24 --framing socat
expect_stderr_contains "framing 'socat' is not one of raw, tun-pi"
refused up 2001 2002 10.61.0.0/24 --mode kernel --framing tun-pi
expect_stderr_contains "need the userspace relay"
refused up 2001 2002 10.61.0.0/24 --tun-device tun0 --name other
expect_stderr_contains "differ"
refused up 2001 2002 10.61.0.0/24 --mode kernel --foreground
refused up 2001 2002 fd00::/64 100 --mode userspace
expect_stderr_contains "1280"
refused up 2001 2002 10.61.0.0/24 --tun-device "a b"
log "a port held by another program: exit 1, rolled back"
ip netns exec "$ns" timeout 30 socat -u UDP-RECV:2001 OPEN:/dev/null &
on_exit kill "$!"
wait_udp_port "$ns" 2001
snapshot /tmp/"$ns".before "$ns"
expect_fail 1 up
expect_stderr_contains "UDP port 2001"
snapshot /tmp/"$ns".after "$ns"
same_snapshot /tmp/"$ns".before /tmp/"$ns".after
