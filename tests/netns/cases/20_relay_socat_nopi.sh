#!/bin/bash
# Interop of the userspace relay with socat speaking FOU direct: host A runs
# `fouctl up --mode userspace`, host B the socat seed's TUN<->UDP relay with iff-no-pi (each
# UDP payload one bare IP packet). Pings both ways without loss, then 4 MiB over TCP each way
# through the tunnel, checked by sha256 and by A's relay counters.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v socat >/dev/null || skip "socat is not installed"
id=${FOUCTL_TEST_ID:-fx}
a=${id}nopiA b=${id}nopiB tmp=/tmp/${id}nopi
port=9120
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.120.1/24 "$b" ul0 192.168.120.2/24
on_exit rm -f "$tmp".in "$tmp".out "$tmp".socat.log

log "A: the fouctl relay; B: socat TUN,iff-no-pi <-> UDP"
on_exit in_ns "$a" fouctl down "$port"
# REMOTE is the very prefix --address brings as its connected route: `up` must accept that.
check in_ns "$a" fouctl up "$port" "$port" 10.60.0.0/16 --peer 192.168.120.2 \
    --local 192.168.120.1 --address 10.60.0.1/16 --mode userspace
ip netns exec "$b" timeout 120 socat -d -d TUN:10.60.0.2/16,tun-name=socat0,iff-up,iff-no-pi \
    "UDP-DATAGRAM:192.168.120.1:$port,bind=192.168.120.2:$port" 2>"$tmp".socat.log &
on_exit kill "$!"
wait_udp_port "$b" "$port"
# Not `ip ... | grep -q`: under pipefail, ip dies of SIGPIPE when grep quits early.
for ((i = 0; i < 100; i++)); do
    [[ $(ip -n "$b" -o addr show dev socat0 2>/dev/null) == *"inet 10.60.0.2/16"* ]] && break
    sleep 0.1
done
if [[ $(ip -n "$b" -o addr show dev socat0 2>&1) != *"inet 10.60.0.2/16"* ]]; then
    cat "$tmp".socat.log
    fail "socat's TUN did not come up"
fi
in_ns "$a" fouctl status

ping_all "$a" 10.60.0.2 -c 5 -i 0.2 -W 2
ping_all "$b" 10.60.0.1 -c 5 -i 0.2 -W 2
ping_all "$a" 10.60.0.2 -c 3 -W 2 -s 1400   # near the tunnel MTU (1472)

# tcp_copy FROM_NS TO_NS TO_ADDR PORT: sends 4 MiB of random bytes from FROM_NS to
# TO_ADDR:PORT in TO_NS over TCP and checks them by sha256.
tcp_copy() {
    local from=$1 to=$2 addr=$3 port=$4 sink start want got
    rm -f "$tmp".out
    ip netns exec "$to" timeout 60 socat -u TCP-LISTEN:"$port",bind="$addr",reuseaddr \
        CREATE:"$tmp".out &
    on_exit kill "$!"
    sink=$!
    wait_tcp_port "$to" "$port"
    start=$(date +%s%N)
    check in_ns "$from" timeout 60 socat -u OPEN:"$tmp".in TCP:"$addr":"$port"
    wait "$sink" || fail "the receiving socat in '$to' failed"
    want=$(sha256sum <"$tmp".in)
    got=$(sha256sum <"$tmp".out)
    echo "sent $want"
    echo "got  $got"
    echo "took $((($(date +%s%N) - start) / 1000000)) ms"
    [[ $want == "$got" ]] || fail "checksums differ ($from -> $to)"
}

check dd if=/dev/urandom of="$tmp".in bs=1M count=4 status=none
log "4 MiB over TCP from B (socat) to A (relay)"
tcp_copy "$b" "$a" 10.60.0.1 9121
log "4 MiB over TCP from A (relay) to B (socat)"
tcp_copy "$a" "$b" 10.60.0.2 9122

status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {mode, counters, drops: .relay.drops}' <<<"$status"
[[ $(jq -r '.tunnels[0].mode' <<<"$status") == userspace ]] || fail "A's tunnel is not the relay"
rxb=$(jq '.tunnels[0].counters.rx_bytes' <<<"$status")
txb=$(jq '.tunnels[0].counters.tx_bytes' <<<"$status")
((rxb > 4 * 1024 * 1024)) || fail "A's relay received only $rxb bytes; the data took another path"
((txb > 4 * 1024 * 1024)) || fail "A's relay sent only $txb bytes; the data took another path"
bad=$(jq '[.tunnels[0].relay.drops[]] | add' <<<"$status")
((bad == 0)) || fail "A's relay dropped $bad packets of a well-formed peer"

check in_ns "$a" fouctl down "$port"
