#!/bin/bash
# Fragmentation like a kernel tunnel: over a 600-byte underlay, relay tunnels (MTU 1472)
# carry 1000-byte pings without DF both ways (requests from ping -M dont, and echo replies,
# which Linux sends without DF): the sending relay cuts each into fragments that fit
# (counted in relay.fragmented), the receiving kernel reassembles them. DF packets still get
# "fragmentation needed" (too_big). IPv6 packets up to 1280 bytes (the IPv6 minimum MTU)
# go out in outer fragments, as the kernel's sit does on such a path; larger ones keep the
# packet-too-big path (mtu 1280), after which the sender fragments itself.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

id=${FOUCTL_TEST_ID:-fx}
a=${id}fra b=${id}frb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.160.1/24 "$b" ul0 192.168.160.2/24
check ip -n "$a" link set ul0 mtu 600
check ip -n "$b" link set ul0 mtu 600

# Without an MTU the tunnel would take the underlay's, 572: too small for IPv6. Refused,
# with nothing made.
expect_fail 2 in_ns "$a" fouctl up 7600 7600 10.76.2.1,fd76::2 --name fr --peer 192.168.160.2 \
    --local 192.168.160.1 --address 10.76.1.1 --address fd76::1 --mode userspace
[[ $LAST_ERR == *"ul0's MTU 600 less 28, is below 1280 (the IPv6 minimum)"* ]] ||
    fail "the refusal does not say why: $LAST_ERR"
! ip -n "$a" link show fr >/dev/null 2>&1 || fail "a refused up left the device"
# A tunnel MTU larger than the path, given on purpose: what does not fit is fragmented.
check in_ns "$a" fouctl -q up 7600 7600 10.76.2.1,fd76::2 1472 --name fr --peer 192.168.160.2 \
    --local 192.168.160.1 --address 10.76.1.1 --address fd76::1 --mode userspace
check in_ns "$b" fouctl -q up 7600 7600 10.76.1.1,fd76::1 1472 --name fr --peer 192.168.160.1 \
    --local 192.168.160.2 --address 10.76.2.1 --address fd76::2 --mode userspace
on_exit in_ns "$a" fouctl -q down fr
on_exit in_ns "$b" fouctl -q down fr
[[ $(ip -n "$a" link show fr) == *"mtu 1472 "* ]] || fail "the tunnel MTU is not 1472"

relay() { in_ns "$1" fouctl status --json | jq ".tunnels[0].relay.$2"; }

log "1028-byte packets without DF, A -> B and back (replies carry no DF either)"
ping_all "$a" 10.76.2.1 -c 3 -W 2 -M dont -s 1000
fa=$(relay "$a" fragmented) fb=$(relay "$b" fragmented)
echo "fragmented: A $fa, B $fb; too_big: A $(relay "$a" drops.too_big), B $(relay "$b" drops.too_big)"
((fa >= 3)) || fail "A's relay fragmented $fa packets, not the 3 requests"
((fb >= 3)) || fail "B's relay fragmented $fb packets, not the 3 replies"
[[ $(relay "$a" drops.too_big) == 0 && $(relay "$b" drops.too_big) == 0 ]] ||
    fail "packets without DF were dropped as too_big"
log "and B -> A"
ping_all "$b" 10.76.1.1 -c 3 -W 2 -M dont -s 1000
(($(relay "$b" fragmented) >= fb + 3)) || fail "B's relay did not fragment its requests"

log "with DF: answered with fragmentation needed (mtu 572), not fragmented"
rc=0
out=$(in_ns "$a" ping -n -c 2 -i 0.3 -W 1 -M do -s 1000 10.76.2.1 2>&1) || rc=$?
printf '%s\n' "$out"
((rc != 0)) || fail "a 1028-byte DF ping crossed a 600-byte underlay"
grep -qiE 'frag needed.*mtu = 572|message too long, mtu=572' <<<"$out" ||
    fail "ping did not learn mtu 572 from the relay"
(($(relay "$a" drops.too_big) > 0)) || fail "A's relay counted no too_big"

log "IPv6 up to 1280 bytes: no link is smaller, so the outer datagram is fragmented (as sit does)"
before=$(relay "$a" fragmented)
ping_all "$a" fd76::2 -6 -c 3 -W 2 -s 1000
(($(relay "$a" fragmented) >= before + 3)) || fail "A's relay did not send IPv6 in outer fragments"

log "IPv6 over 1280 bytes: packet too big (mtu 1280), then the sender fragments"
before=$(relay "$a" drops.too_big)
# Learning takes a packet each way: the first request is answered by A's relay, the first
# reply (as large) by B's.
out=$(in_ns "$a" ping -6 -n -c 3 -i 0.3 -W 1 -s 1400 fd76::2 2>&1) || true
printf '%s\n' "$out"
grep -q 'mtu=1280' <<<"$out" || fail "no packet-too-big with mtu 1280 for a 1448-byte packet"
(($(relay "$a" drops.too_big) > before)) || fail "A's relay counted no too_big for IPv6"
ping_all "$a" fd76::2 -6 -c 3 -W 2 -s 1400
