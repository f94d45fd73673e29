#!/bin/bash
# --bind-peer: the FOU receive port is bound to (local, peer, peer port TX_PORT) and the
# device sends from RX_PORT, against an iproute2 peer bound the same way. A FOU datagram
# from the peer's address but another source port does not reach the tunnel (its RX
# counter stays), the same datagram from the right port does; without --bind-peer the
# port takes it from any port. The relay's --bind-peer is its --peer-port-fixed.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.98.1/24 hostb ul0 192.168.98.2/24

log "hostb: plain iproute2, bound FOU port, fixed source port"
check ip -n hostb link add tb type ipip remote 192.168.98.1 local 192.168.98.2 ttl 64 \
    encap fou encap-sport 6301 encap-dport 6300
check ip -n hostb fou add port 6301 ipproto 4 local 192.168.98.2 peer 192.168.98.1 peer_port 6300
check ip -n hostb addr add 10.98.0.2/32 dev tb
check ip -n hostb link set tb up
check ip -n hostb route add 10.98.0.1/32 dev tb

log "hosta: fouctl up --bind-peer"
check in_ns hosta fouctl up 6300 6301 10.98.0.2 --peer 192.168.98.2 --local 192.168.98.1 \
    --address 10.98.0.1 --bind-peer --name bp
fou=$(ip -n hosta fou show)
echo "$fou"
[[ $fou == *"port 6300 ipproto 4 local 192.168.98.1 peer 192.168.98.2 peer_port 6301"* ]] ||
    fail "the FOU port is not bound to the peer"
[[ $(ip -n hosta -d link show bp) == *"encap-sport 6300 encap-dport 6301"* ]] ||
    fail "the device does not send from RX_PORT"
[[ $(in_ns hosta fouctl status --json | jq '.tunnels[0].relay') == null ]] || fail "not a kernel tunnel"
in_ns hosta fouctl up 6300 6301 10.98.0.2 --peer 192.168.98.2 --local 192.168.98.1 \
    --address 10.98.0.1 --bind-peer --name bp 2>&1 | grep -q 'nothing changed' || fail "second up changed something"
expect_fail 1 in_ns hosta fouctl up 6300 6301 10.98.0.2 --peer 192.168.98.2 --local 192.168.98.1 \
    --address 10.98.0.1 --name bp
expect_stderr_contains "its receive port is bound to the peer"
ping_all hosta 10.98.0.2
ping_all hostb 10.98.0.1

# inject SPORT: one FOU datagram from hostb's address and source port SPORT to hosta's
# port 6300, carrying an ICMP echo 10.98.0.2 -> 10.98.0.1; prints hosta's RX count after.
rx() { ip -n hosta -j -s link show "$1" | jq '.[0].stats64.rx.packets'; }
inject() {
    printf '\x45\x00\x00\x1c\x00\x01\x00\x00\x40\x01\x66\x1a\x0a\x62\x00\x02\x0a\x62\x00\x01\x08\x00\xf7\xfd\x00\x01\x00\x01' |
        in_ns hostb timeout 5 socat -u - "UDP4-SENDTO:192.168.98.1:6300,bind=192.168.98.2:$1"
    sleep 0.3
}
log "a datagram from another source port of the peer is not taken"
before=$(rx bp)
inject 7777
[[ $(rx bp) == "$before" ]] || fail "the bound port took a datagram from port 7777 ($before -> $(rx bp))"
log "the same datagram from the peer's TX_PORT is (hostb's own port there closed first)"
check ip -n hostb fou del port 6301 local 192.168.98.2 peer 192.168.98.1 peer_port 6300
before=$(rx bp)
inject 6301
(($(rx bp) == before + 1)) || fail "the bound port did not take the peer's datagram ($before -> $(rx bp))"

log "without --bind-peer the port takes datagrams from any port"
check in_ns hosta fouctl -q down bp
check in_ns hosta fouctl -q up 6300 6301 10.98.0.2 --peer 192.168.98.2 --local 192.168.98.1 --name ub
[[ $(ip -n hosta fou show) == *"port 6300 ipproto 4"* && $(ip -n hosta fou show) != *peer* ]] ||
    fail "the FOU port is bound without --bind-peer"
before=$(rx ub)
inject 7777
(($(rx ub) == before + 1)) || fail "the unbound port did not take a datagram from port 7777"
check in_ns hosta fouctl -q down ub

log "without --local the port is bound to the peer and the source the kernel routes from"
check in_ns hosta fouctl -q up 6300 6301 10.98.0.2 --peer 192.168.98.2 --name nl --bind-peer
[[ $(ip -n hosta fou show) == *"port 6300 ipproto 4"*"peer 192.168.98.2 peer_port 6301"* ]] ||
    fail "no port bound to the peer: $(ip -n hosta fou show)"
before=$(rx nl)
inject 7777
[[ $(rx nl) == "$before" ]] || fail "the port bound to the peer took a datagram from port 7777"
check in_ns hosta fouctl -q down nl

log "the relay: --bind-peer drops datagrams from the peer's other ports"
check in_ns hosta fouctl -q up 6300 6301 10.98.0.2 --peer 192.168.98.2 --local 192.168.98.1 \
    --name rb --bind-peer --mode userspace
st=$(in_ns hosta fouctl status --json)
[[ $(jq '.tunnels[0].relay.peer_port_fixed' <<<"$st") == true ]] || fail "relay: peer_port_fixed"
foreign=$(jq '.tunnels[0].relay.drops.foreign_source' <<<"$st")
inject 7777
st=$(in_ns hosta fouctl status --json)
(($(jq '.tunnels[0].relay.drops.foreign_source' <<<"$st") == foreign + 1)) ||
    fail "the relay did not drop the datagram from port 7777"
check in_ns hosta fouctl -q down rb
