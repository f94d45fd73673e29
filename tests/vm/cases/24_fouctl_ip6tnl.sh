#!/bin/bash
# An IPv6 underlay: `fouctl up --peer IPV6` makes an ip6tnl device (mode ipip6 for IPv4
# REMOTEs, ip6ip6 for IPv6 ones) and a fou6 port, and talks to a plain iproute2 ip6tnl/fou6
# peer (ping, 4 MiB TCP each way); the relay talks to that same peer over IPv6; the default
# MTU over IPv6 is 1452.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
{ modprobe ip6_tunnel && modprobe fou6; } || fail "cannot load ip6_tunnel and fou6"

netns_add hosta
netns_add hostb
check ip -n hosta link add ul0 type veth peer name ul0 netns hostb
check ip -n hosta addr add fd96::1/64 dev ul0 nodad
check ip -n hostb addr add fd96::2/64 dev ul0 nodad
check ip -n hosta link set ul0 up
check ip -n hostb link set ul0 up

log "hostb: plain iproute2, ip6tnl mode ipip6 with FOU over IPv6"
check ip -n hostb link add t6 type ip6tnl mode ipip6 remote fd96::1 local fd96::2 hoplimit 64 \
    encaplimit none encap fou encap-sport auto encap-dport 6100
check ip -n hostb fou add port 6101 ipproto 4 -6
check ip -n hostb addr add 10.96.0.2/32 dev t6
check ip -n hostb link set t6 up
check ip -n hostb route add 10.96.0.1/32 dev t6

log "hosta: fouctl up with an IPv6 peer"
check in_ns hosta fouctl up 6100 6101 10.96.0.2 --peer fd96::2 --local fd96::1 \
    --address 10.96.0.1 --name v6
link=$(ip -n hosta -d link show v6)
echo "$link"
[[ $link == *"mtu 1452 "* ]] || fail "the default MTU over IPv6 is not 1452"
[[ $link == *"ip6tnl ipip6 remote fd96::2 local fd96::1"* ]] || fail "not an ip6tnl ipip6 device"
[[ $link == *"encaplimit none"* && $link == *"encap-dport 6101"* ]] || fail "encap settings"
fou=$(ip -n hosta fou show)
echo "$fou"
[[ $fou == *"port 6100 ipproto 4 -6"* ]] || fail "no fou6 port 6100"
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[0].kind') == ipip6 ]] || fail "status kind"
in_ns hosta fouctl up 6100 6101 10.96.0.2 --peer fd96::2 --local fd96::1 --address 10.96.0.1 \
    --name v6 2>&1 | grep -q 'nothing changed' || fail "a second up changed something"
ping_all hosta 10.96.0.2
ping_all hostb 10.96.0.1
tcp_each_way hosta 10.96.0.1 hostb 10.96.0.2

log "the relay against the same iproute2 peer, over IPv6"
check in_ns hosta fouctl -q down v6
[[ -z $(ip -n hosta fou show) ]] || fail "down left the fou6 port"
check in_ns hosta fouctl -q up 6100 6101 10.96.0.2 --peer fd96::2 --local fd96::1 \
    --address 10.96.0.1 --name v6 --mode userspace
ping_all hosta 10.96.0.2
tcp_each_way hosta 10.96.0.1 hostb 10.96.0.2
check in_ns hosta fouctl -q down v6

log "IPv6 in IPv6: ip6tnl mode ip6ip6 against iproute2"
# The kernel tells ip6tnl devices apart by their outer addresses: the ipip6 one goes first.
check ip -n hostb link del t6
check ip -n hostb link add t66 type ip6tnl mode ip6ip6 remote fd96::1 local fd96::2 hoplimit 64 \
    encaplimit none encap fou encap-sport auto encap-dport 6200
check ip -n hostb fou add port 6201 ipproto 41 -6
check ip -n hostb addr add fd97::2/128 dev t66
check ip -n hostb link set t66 up
check ip -n hostb route add fd97::1/128 dev t66
check in_ns hosta fouctl up 6200 6201 fd97::2 --peer fd96::2 --local fd96::1 --address fd97::1 --name v66
[[ $(ip -n hosta -d link show v66) == *"ip6tnl ip6ip6 remote fd96::2"* ]] || fail "not ip6ip6"
[[ $(ip -n hosta fou show) == *"port 6200 ipproto 41 -6"* ]] || fail "no fou6 port 6200 ipproto 41"
ping_all hosta fd97::2 -6 -c 3 -W 2

log "a config: plan finds nothing to do; down --all, apply, then nothing to do"
cat >/tmp/v66.json <<'JSON'
{"version": 1, "tunnels": [
  {"name": "v66", "rx_port": 6200, "tx_port": 6201, "peer": "fd96::2", "local": "fd96::1",
   "routes": ["fd97::2/128"], "addresses": ["fd97::1/128"], "mode": "kernel"}]}
JSON
check in_ns hosta fouctl plan -c /tmp/v66.json
check in_ns hosta fouctl -q down --all
[[ -z $(ip -n hosta fou show) ]] || fail "down --all left a fou6 port"
check in_ns hosta fouctl apply -c /tmp/v66.json
ping_all hosta fd97::2 -6 -c 2 -W 2
in_ns hosta fouctl apply -c /tmp/v66.json 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
check in_ns hosta fouctl -q down --all
