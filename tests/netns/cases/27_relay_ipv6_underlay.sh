#!/bin/bash
# The relay over an IPv6 underlay (what a kernel host does with ip6tnl and a fou6 port):
# IPv4 and IPv6 inside, between two namespaces joined by IPv6 only. The default MTU is
# 1452 there (1500 - 40 - 8); status and plan show the IPv6 peer.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}6a b=${FOUCTL_TEST_ID:-fx}6b
netns_add "$a"
netns_add "$b"
check ip -n "$a" link add ul0 type veth peer name ul0 netns "$b"
check ip -n "$a" addr add fd77::1/64 dev ul0 nodad
check ip -n "$b" addr add fd77::2/64 dev ul0 nodad
check ip -n "$a" link set ul0 up
check ip -n "$b" link set ul0 up

check in_ns "$a" fouctl up 7700 7700 10.77.2.1,fd78::2 --peer fd77::2 --local fd77::1 \
    --address 10.77.1.1 --address fd78::1 --name v6 --mode userspace
check in_ns "$b" fouctl -q up 7700 7700 10.77.1.1,fd78::1 --peer fd77::1 --name v6 \
    --address 10.77.2.1 --address fd78::2 --mode userspace
on_exit in_ns "$a" fouctl -q down v6
on_exit in_ns "$b" fouctl -q down v6
[[ $(ip -n "$a" link show v6) == *"mtu 1452 "* ]] || fail "the default MTU over IPv6 is not 1452"
in_ns "$a" ss -uln | grep -q '\[fd77::1\]:7700' || fail "the relay does not listen on [fd77::1]:7700"
st=$(in_ns "$a" fouctl status --json)
[[ $(jq -r '.tunnels[0].peer' <<<"$st") == fd77::2 ]] || fail "status peer: $(jq -c '.tunnels[0]' <<<"$st")"

ping_all "$a" 10.77.2.1
ping_all "$b" 10.77.1.1
ping_all "$a" fd78::2 -6 -c 3 -W 2
# The largest packet that fits: 1452 bytes inside, a 1500-byte outer packet.
ping_all "$a" 10.77.2.1 -c 2 -W 2 -M do -s 1424
log "datagrams on the wire are plain FOU over IPv6 (tcpdump-free: the peer's counters)"
rx=$(in_ns "$b" fouctl status --json | jq '.tunnels[0].counters.rx_packets')
((rx >= 11)) || fail "B's relay received $rx packets"
