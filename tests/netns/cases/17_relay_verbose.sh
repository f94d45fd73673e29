#!/bin/bash
# -v logs every packet in and out, like `socat -ddd` in the socat seed.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}va b=${FOUCTL_TEST_ID:-fx}vb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.113.1/24 "$b" ul0 192.168.113.2/24
check in_ns "$b" fouctl -q up 9090 9090 172.31.0.0/16 --peer 192.168.113.1 --local 192.168.113.2 \
    --address 172.31.0.2/16 --mode userspace
ip netns exec "$a" timeout 30 fouctl up 9090 9090 172.31.0.0/16 --peer 192.168.113.2 \
    --local 192.168.113.1 --address 172.31.0.1/16 --mode userspace --foreground -v \
    2>/tmp/"$a".log &
fg=$!
on_exit kill "$fg"
for ((i = 0; i < 50; i++)); do grep -q 'running in the foreground' /tmp/"$a".log && break; sleep 0.1; done
ping_all "$a" 172.31.0.2 -c 1 -W 2
kill -INT "$fg"
wait "$fg" || true
cat /tmp/"$a".log
grep -q '> 84 bytes to 192.168.113.2:9090' /tmp/"$a".log || fail "no log line for the packet sent"
grep -q '< 84 bytes from 192.168.113.2:9090' /tmp/"$a".log || fail "no log line for the reply"
check in_ns "$b" fouctl -q down 9090
