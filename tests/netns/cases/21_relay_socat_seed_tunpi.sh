#!/bin/bash
# The socat seed, unchanged, on host B (its exact command: TUN without iff-no-pi, so every
# UDP payload carries socat's 4-byte tun_pi header), against `fouctl up --framing tun-pi` on
# host A in the default mode (auto: a relay option such as --framing picks the relay). Pings
# both ways, and socat's -ddd log must show the seed's evidence: 84-byte IP packets crossing
# as 88-byte datagrams in both directions. Then the same socat against a raw-framing relay:
# the mismatch loses every ping and shows up as malformed drops.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v socat >/dev/null || skip "socat is not installed"
id=${FOUCTL_TEST_ID:-fx}
a=${id}seedA b=${id}seedB socat_log=/tmp/${id}seed.socat.log
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.121.114/24 "$b" ul0 192.168.121.103/24
on_exit rm -f "$socat_log"

log "B: the seed's socat command, verbatim"
(
    export TUNNEL_IP=172.30.0.2 TO_VM_IP=192.168.121.114 VM_IP=192.168.121.103 UDP_PORT=9090
    exec ip netns exec "$b" timeout 120 socat -ddd TUN:$TUNNEL_IP/16,iff-up \
        UDP-DATAGRAM:$TO_VM_IP:$UDP_PORT,bind=$VM_IP:$UDP_PORT 2>"$socat_log"
) &
on_exit kill "$!"
wait_udp_port "$b" 9090
# Not `ip ... | grep -q`: under pipefail, ip dies of SIGPIPE when grep quits early.
for ((i = 0; i < 100; i++)); do
    [[ $(ip -n "$b" -o addr show 2>/dev/null) == *"inet 172.30.0.2/16"* ]] && break
    sleep 0.1
done
if [[ $(ip -n "$b" -o addr show 2>&1) != *"inet 172.30.0.2/16"* ]]; then
    cat "$socat_log"
    fail "socat's TUN did not come up"
fi

log "A: fouctl with --framing tun-pi (default mode: auto)"
# The seed's overlay: 172.30.0.0/16 both as REMOTE and as the prefix of --address.
on_exit in_ns "$a" fouctl down 9090
up_out=$(in_ns "$a" fouctl up 9090 9090 172.30.0.0/16 --peer 192.168.121.103 \
    --local 192.168.121.114 --address 172.30.0.1/16 --framing tun-pi 2>&1) ||
    fail "fouctl up failed: $up_out"
printf '%s\n' "$up_out"
[[ $up_out == *"is up (userspace relay)"* ]] || fail "fouctl up did not say it runs the relay"
status=$(in_ns "$a" fouctl status --json)
[[ $(jq -r '.tunnels[0].mode' <<<"$status") == userspace ]] || fail "the tunnel is not the relay"
[[ $(jq -r '.tunnels[0].relay.framing' <<<"$status") == tun-pi ]] || fail "framing is not tun-pi"

# The seed's own check, then more in both directions.
check in_ns "$b" ping 172.30.0.1 -c 1 -W 2
ping_all "$b" 172.30.0.1 -c 5 -i 0.2 -W 2
ping_all "$a" 172.30.0.2 -c 5 -i 0.2 -W 2
ping_all "$a" 172.30.0.2 -c 3 -W 2 -s 1400

log "socat's log (transfers of 88 bytes = 84-byte IP packet + 4-byte tun_pi)"
grep -E 'transferred [0-9]+ bytes|received packet with' "$socat_log" |
    sed -E 's/^.*socat\[[0-9]+\] //' | sort | uniq -c
# The two directions: TUN -> UDP and UDP -> TUN are "from X to Y" and "from Y to X".
mapfile -t dirs < <(sed -nE 's/.*I transferred 88 bytes from ([0-9]+) to ([0-9]+).*/\1>\2/p' \
    "$socat_log" | sort | uniq -c | awk '$1 >= 11 {print $2}')
echo "directions with >= 11 transfers of 88 bytes: ${dirs[*]:-none}"
((${#dirs[@]} == 2)) || fail "socat's log lacks 88-byte transfers in both directions"
grep -q 'received packet with 88 bytes from AF=2 192.168.121.114:9090' "$socat_log" ||
    fail "socat's log lacks 'received packet with 88 bytes from AF=2 192.168.121.114:9090'"
grep -q 'transferred 1432 bytes' "$socat_log" ||
    fail "socat's log lacks the 1428-byte packets (ping -s 1400) as 1432-byte transfers"

status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {counters, drops: .relay.drops}' <<<"$status"
rxp=$(jq '.tunnels[0].counters.rx_packets' <<<"$status")
((rxp >= 14)) || fail "A's relay received only $rxp packets"
malformed=$(jq '.tunnels[0].relay.drops.malformed' <<<"$status")
((malformed == 0)) || fail "A's relay counted $malformed malformed packets from a tun-pi peer"

log "the same socat against a raw (FOU direct) relay: framing mismatch"
check in_ns "$a" fouctl down 9090
check in_ns "$a" fouctl up 9090 9090 172.30.0.0/16 --peer 192.168.121.103 \
    --local 192.168.121.114 --address 172.30.0.1/16 --mode userspace
[[ $(in_ns "$a" fouctl status --json | jq -r '.tunnels[0].relay.framing') == raw ]] ||
    fail "framing is not raw"
for dir in "$b 172.30.0.1" "$a 172.30.0.2"; do
    read -r ns addr <<<"$dir"
    rc=0
    out=$(in_ns "$ns" ping -n -c 3 -i 0.2 -W 1 "$addr" 2>&1) || rc=$?
    printf '%s\n' "$out" | tail -2
    [[ $rc != 0 && $out == *" 100% packet loss"* ]] ||
        fail "ping $addr from $ns got through with mismatched framing (exit $rc)"
done
status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {counters, drops: .relay.drops}' <<<"$status"
malformed=$(jq '.tunnels[0].relay.drops.malformed' <<<"$status")
rxp=$(jq '.tunnels[0].counters.rx_packets' <<<"$status")
echo "raw relay: malformed drops $malformed, packets delivered $rxp"
((malformed >= 3)) || fail "A's raw relay counted only $malformed malformed drops for 3 tun-pi pings"
((rxp == 0)) || fail "A's raw relay delivered $rxp of socat's tun-pi datagrams to its TUN"

check in_ns "$a" fouctl down 9090
