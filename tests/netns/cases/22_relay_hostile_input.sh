#!/bin/bash
# The relay under hostile input: while a steady ping crosses the tunnel, host B sends A's
# RX port 200 well-formed IP packets from a foreign underlay address and 200 malformed
# payloads from the peer's own address (empty, 1 byte, junk, wrong lengths, IHL < 5,
# version 7, truncated IPv6, 60000-byte junk...). The ping must lose nothing, A's relay must
# count every foreign datagram and every malformed one, keep running as the same process,
# and still carry a TCP transfer afterwards.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
command -v socat >/dev/null || skip "socat is not installed"
id=${FOUCTL_TEST_ID:-fx}
a=${id}hostA b=${id}hostB tmp=/tmp/${id}host
port=9122
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.122.1/24 "$b" ul0 192.168.122.2/24
# The foreign sender: another address on B's underlay, not the peer A knows.
check ip -n "$b" addr add 192.168.122.9/24 dev ul0
on_exit rm -f "$tmp".in "$tmp".out "$tmp".py "$tmp".ping

on_exit in_ns "$a" fouctl down "$port"
on_exit in_ns "$b" fouctl down "$port"
check in_ns "$a" fouctl -q up "$port" "$port" 172.30.22.2 --peer 192.168.122.2 \
    --local 192.168.122.1 --address 172.30.22.1 --mode userspace
check in_ns "$b" fouctl -q up "$port" "$port" 172.30.22.1 --peer 192.168.122.1 \
    --local 192.168.122.2 --address 172.30.22.2 --mode userspace
ping_all "$a" 172.30.22.2
status=$(in_ns "$a" fouctl status --json)
pid_before=$(jq '.tunnels[0].relay.pid' <<<"$status")
rx_before=$(jq '.tunnels[0].counters.rx_packets' <<<"$status")
echo "A's relay: pid $pid_before, $rx_before packets received"

cat >"$tmp".py <<'EOF'
# Sends 200 foreign and 200 malformed datagrams to A's RX port, interleaved and paced so
# that the kernel's socket buffers drop none of them: every one must reach the relay.
import os, random, socket, struct, sys, time

dst = (sys.argv[1], int(sys.argv[2]))
peer_addr, foreign_addr, tx_port = sys.argv[3], sys.argv[4], int(sys.argv[5])
rng = random.Random(22)

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ipv4(payload, src, dst_ip, total=None, ihl=5, version=4):
    total = 20 + len(payload) if total is None else total
    h = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, total, 0x2222, 0, 64, 1, 0,
                    socket.inet_aton(src), socket.inet_aton(dst_ip))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def icmp_echo(seq):
    body = struct.pack("!BBHHH", 8, 0, 0, 0x2222, seq) + b"hostile!" * 4
    return body[:2] + struct.pack("!H", csum(body)) + body[4:]

good = lambda seq: ipv4(icmp_echo(seq), "172.30.22.2", "172.30.22.1")
junk = lambda n: bytes(rng.getrandbits(8) for _ in range(n))

def ipv6(payload_len_field, payload):
    return struct.pack("!IHBB", 6 << 28, payload_len_field, 58, 64) + b"\x20" * 32 + payload

malformed = [
    ("empty", lambda: b""),
    ("one byte", lambda: b"\x45"),
    ("junk (version 0-3)", lambda: bytes([rng.randrange(0, 0x40)]) + junk(99)),
    ("IPv4 total length > datagram", lambda: ipv4(icmp_echo(1), "172.30.22.2", "172.30.22.1", total=200)),
    ("IPv4 total length < datagram", lambda: good(2) + b"trailing"),
    ("IPv4 IHL 4", lambda: ipv4(icmp_echo(3), "172.30.22.2", "172.30.22.1", ihl=4)),
    ("IPv4 IHL 15 > datagram", lambda: ipv4(b"", "172.30.22.2", "172.30.22.1", ihl=15)),
    ("version 7", lambda: ipv4(icmp_echo(4), "172.30.22.2", "172.30.22.1", version=7)),
    ("IPv4 header cut at 19 bytes", lambda: good(5)[:19]),
    ("IPv6 header cut at 30 bytes", lambda: ipv6(0, b"")[:30]),
    ("IPv6 payload length > datagram", lambda: ipv6(100, b"x" * 8)),
    ("60000 bytes of junk", lambda: b"\x45" + junk(59999)),
]

# From the peer's address, a fresh ephemeral port per socket (the relay allows any port).
bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad.bind((peer_addr, 0))
bad.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
# From the foreign address: with the peer's own port and with an ephemeral one.
foreign = []
for p in (tx_port, 0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((foreign_addr, p))
    foreign.append(s)

sent_bad = {}
sent_foreign = 0
for i in range(200):
    foreign[i % 2].sendto(good(100 + i), dst)
    sent_foreign += 1
    name, make = malformed[i % len(malformed)]
    bad.sendto(make(), dst)
    sent_bad[name] = sent_bad.get(name, 0) + 1
    time.sleep(0.01 if name.startswith("60000") else 0.004)
for name, n in sent_bad.items():
    print("  sent %3d x %s" % (n, name))
print("foreign_sent=%d malformed_sent=%d" % (sent_foreign, sum(sent_bad.values())))
EOF

log "a steady ping A -> B while B's namespace sends hostile datagrams to A:$port"
ip netns exec "$a" timeout 30 ping -n -i 0.05 -c 100 -W 2 172.30.22.2 >"$tmp".ping 2>&1 &
on_exit kill "$!"
pinger=$!
sleep 0.5
sender_out=$(in_ns "$b" timeout 30 python3 "$tmp".py 192.168.122.1 "$port" 192.168.122.2 \
    192.168.122.9 "$port") || fail "the hostile sender failed: $sender_out"
printf '%s\n' "$sender_out"
foreign_sent=$(sed -nE 's/.*foreign_sent=([0-9]+).*/\1/p' <<<"$sender_out")
malformed_sent=$(sed -nE 's/.*malformed_sent=([0-9]+).*/\1/p' <<<"$sender_out")
((foreign_sent == 200 && malformed_sent == 200)) || fail "the sender did not send 200 + 200"
rc=0
wait "$pinger" || rc=$?
tail -3 "$tmp".ping
if ((rc != 0)) || ! grep -q ' 0% packet loss' "$tmp".ping; then
    fail "the ping across the tunnel lost packets during the hostile input (exit $rc)"
fi

status=$(in_ns "$a" fouctl status --json)
jq -c '.tunnels[0] | {counters, relay}' <<<"$status"
foreign=$(jq '.tunnels[0].relay.drops.foreign_source' <<<"$status")
malformed=$(jq '.tunnels[0].relay.drops.malformed' <<<"$status")
pid_after=$(jq '.tunnels[0].relay.pid' <<<"$status")
echo "A's relay: foreign_source $foreign (sent $foreign_sent), malformed $malformed" \
    "(sent $malformed_sent), pid $pid_before -> $pid_after"
((foreign >= foreign_sent)) || fail "A counted $foreign foreign-source drops, $foreign_sent were sent"
((malformed >= malformed_sent)) || fail "A counted $malformed malformed drops, $malformed_sent were sent"
[[ $pid_after == "$pid_before" ]] || fail "A's relay pid changed from $pid_before to $pid_after"
kill -0 "$pid_before" || fail "A's relay (pid $pid_before) is gone"
# 100 echo replies (plus a little IPv6 chatter) reached A's TUN; the 200 well-formed foreign
# packets must not have.
rx=$(($(jq '.tunnels[0].counters.rx_packets' <<<"$status") - rx_before))
echo "A's relay delivered $rx packets during the ping"
((rx >= 100 && rx < 150)) || fail "A's relay delivered $rx packets, expected the ping's 100 only"

log "4 MiB over TCP through the tunnel after the hostile input"
check dd if=/dev/urandom of="$tmp".in bs=1M count=4 status=none
ip netns exec "$b" timeout 60 socat -u TCP-LISTEN:9123,bind=172.30.22.2,reuseaddr \
    CREATE:"$tmp".out &
on_exit kill "$!"
sink=$!
wait_tcp_port "$b" 9123
check in_ns "$a" timeout 60 socat -u OPEN:"$tmp".in TCP:172.30.22.2:9123
wait "$sink" || fail "the receiving socat failed"
want=$(sha256sum <"$tmp".in)
got=$(sha256sum <"$tmp".out)
echo "sent $want"
echo "got  $got"
[[ $want == "$got" ]] || fail "checksums differ"
[[ $(in_ns "$a" fouctl status --json | jq '.tunnels[0].relay.pid') == "$pid_before" ]] ||
    fail "A's relay restarted during the transfer"
