#!/bin/bash
# systemd readiness: with NOTIFY_SOCKET set (as under a Type=notify unit), the relay sends
# READY=1 and a STATUS= line once it relays, and STOPPING=1 when it stops.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

ns=${FOUCTL_TEST_ID:-fx}sd
netns_add "$ns"
sock="fouctl-test-notify-$$"
# A stand-in for systemd's notify socket, in the same namespace (abstract names are per
# namespace), printing each datagram it gets.
ip netns exec "$ns" timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
s.settimeout(15)
for _ in range(2):
    print(s.recv(4096).decode().replace("\n", " | "), flush=True)
' "$sock" >/tmp/"$ns".notify &
listener=$!
on_exit kill "$listener"
for ((i = 0; i < 50; i++)); do
    in_ns "$ns" grep -q "@$sock" /proc/net/unix && break
    sleep 0.1
done
NOTIFY_SOCKET="@$sock" ip netns exec "$ns" timeout 20 fouctl up 7400 7401 10.74.0.0/24 \
    --mode userspace --foreground 2>/tmp/"$ns".fg &
relay=$!
on_exit kill "$relay"
for ((i = 0; i < 50; i++)); do grep -q READY=1 /tmp/"$ns".notify && break; sleep 0.1; done
check in_ns "$ns" fouctl -q down 7400
wait "$relay" || true
wait "$listener" || true
cat /tmp/"$ns".notify
grep -q '^READY=1 | STATUS=relaying fou7400 <-> 127.0.0.1:7401 (UDP port 7400 here)' /tmp/"$ns".notify ||
    fail "no READY=1 with STATUS from the relay"
grep -q '^STOPPING=1' /tmp/"$ns".notify || fail "no STOPPING=1 from the relay"
