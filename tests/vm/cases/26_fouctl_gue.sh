#!/bin/bash
# GUE: `fouctl up --encap gue` makes the device with `encap gue` and a GUE receive port
# (`ip fou add port P gue`, no ipproto), and talks to a plain iproute2 GUE peer: ipip (ping
# and 4 MiB TCP each way), sit, and ip6tnl over an IPv6 underlay with a fou6 GUE port. The
# relay speaks GUE to the same kernel peer. A config with encap gue applies and re-applies
# to nothing; changing encap makes the tunnel anew; down leaves no port.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
modprobe sit || fail "cannot load the sit module"
modprobe ip6_tunnel || fail "cannot load the ip6_tunnel module"
modprobe fou6 || fail "cannot load the fou6 module"

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.96.1/24 hostb ul0 192.168.96.2/24
check ip -n hosta addr add 2001:db8:96::1/64 dev ul0 nodad
check ip -n hostb addr add 2001:db8:96::2/64 dev ul0 nodad

log "hostb: plain iproute2, ipip with GUE, one GUE port"
check ip -n hostb link add gueb type ipip remote 192.168.96.1 local 192.168.96.2 ttl 64 \
    encap gue encap-sport auto encap-dport 6100
check ip -n hostb fou add port 6101 gue
check ip -n hostb addr add 10.96.0.2/32 dev gueb
check ip -n hostb link set gueb up
check ip -n hostb route add 10.96.0.1/32 dev gueb

log "hosta: fouctl up --encap gue, the MTU from the underlay"
out=$(in_ns hosta fouctl up 6100 6101 10.96.0.2 --peer 192.168.96.2 --local 192.168.96.1 \
    --address 10.96.0.1 --encap gue --name g4 2>&1) || fail "up failed: $out"
echo "$out"
[[ $out == *"ip fou add port 6100 gue"* ]] || fail "up did not echo a GUE port"
[[ $out == *"MTU 1468: ul0's MTU 1500 less 32 (IPv4 20, UDP 8, GUE 4)"* ]] ||
    fail "up did not say where the MTU came from"
link=$(ip -n hosta -d link show g4)
echo "$link"
[[ $link == *"mtu 1468 "* ]] || fail "the GUE tunnel's MTU is not 1500 - 32"
[[ $link == *"encap gue"*"encap-dport 6101"* ]] || fail "no GUE encapsulation to port 6101"
fou=$(ip -n hosta fou show)
[[ $fou == *"port 6100 gue"* ]] || fail "no GUE port 6100: $fou"
[[ $fou != *ipproto* ]] || fail "the GUE port has an ipproto: $fou"
st=$(in_ns hosta fouctl status --json)
[[ $(jq -r '.tunnels[0] | "\(.encap) \(.mtu_auto) \(.kind)"' <<<"$st") == "gue true ipip" ]] ||
    fail "status: $(jq -c '.tunnels[0]' <<<"$st")"
in_ns hosta fouctl up 6100 6101 10.96.0.2 --peer 192.168.96.2 --local 192.168.96.1 \
    --address 10.96.0.1 --encap gue --name g4 2>&1 | grep -q 'nothing changed' ||
    fail "second up changed something"
expect_fail 1 in_ns hosta fouctl up 6100 6101 10.96.0.2 --peer 192.168.96.2 --local 192.168.96.1 \
    --address 10.96.0.1 --name g4
expect_stderr_contains "encap is gue, not fou"
ping_all hosta 10.96.0.2 -c 3 -W 2
ping_all hostb 10.96.0.1 -c 3 -W 2
tcp_each_way hosta 10.96.0.1 hostb 10.96.0.2
in_ns hosta fouctl status

log "the relay speaks GUE to the same kernel peer"
check in_ns hosta fouctl -q down g4
[[ -z $(ip -n hosta fou show) ]] || fail "down left a FOU port: $(ip -n hosta fou show)"
check in_ns hosta fouctl -q up 6100 6101 10.96.0.2 --peer 192.168.96.2 --local 192.168.96.1 \
    --address 10.96.0.1 --encap gue --name g4 --mode userspace
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[0] | "\(.mode) \(.encap) \(.mtu)"') == \
    "userspace gue 1468" ]] || fail "status: $(in_ns hosta fouctl status --json | jq -c '.tunnels[0]')"
ping_all hosta 10.96.0.2 -c 3 -W 2
tcp_each_way hosta 10.96.0.1 hostb 10.96.0.2
drops=$(in_ns hosta fouctl status --json | jq '[.tunnels[0].relay.drops[]] | add')
((drops == 0)) || fail "the relay dropped $drops packets from the GUE peer"
check in_ns hosta fouctl -q down g4

log "sit with GUE: IPv6 inside, against iproute2"
check ip -n hostb link add sitb type sit remote 192.168.96.1 local 192.168.96.2 ttl 64 \
    encap gue encap-sport auto encap-dport 6110
check ip -n hostb fou add port 6111 gue
check ip -n hostb addr add fd00:96::2/128 dev sitb
check ip -n hostb link set sitb up
check ip -n hostb route add fd00:96::1/128 dev sitb
check in_ns hosta fouctl -q up 6110 6111 fd00:96::2 --peer 192.168.96.2 --local 192.168.96.1 \
    --address fd00:96::1 --encap gue --name g6
[[ $(ip -n hosta -d link show g6) == *"sit"*"encap gue"* ]] || fail "not a sit device with GUE"
ping_all hosta fd00:96::2 -6 -c 3 -W 2
ping_all hostb fd00:96::1 -6 -c 3 -W 2
check in_ns hosta fouctl -q down g6

log "ip6tnl with GUE over the IPv6 underlay (fou6 GUE port), against iproute2"
check ip -n hostb link add g6b type ip6tnl mode ipip6 remote 2001:db8:96::1 local 2001:db8:96::2 \
    encaplimit none encap gue encap-sport auto encap-dport 6120
check ip -n hostb fou add port 6121 gue -6
check ip -n hostb addr add 10.97.0.2/32 dev g6b
check ip -n hostb link set g6b up
check ip -n hostb route add 10.97.0.1/32 dev g6b
out=$(in_ns hosta fouctl up 6120 6121 10.97.0.2 --peer 2001:db8:96::2 --local 2001:db8:96::1 \
    --address 10.97.0.1 --encap gue --name g64 2>&1) || fail "up failed: $out"
[[ $out == *"MTU 1448: ul0's MTU 1500 less 52 (IPv6 40, UDP 8, GUE 4)"* ]] ||
    fail "up did not say where the MTU came from: $out"
[[ $(ip -n hosta fou show) == *"port 6120 gue"* ]] || fail "no fou6 GUE port: $(ip -n hosta fou show)"
ping_all hosta 10.97.0.2 -c 3 -W 2
ping_all hostb 10.97.0.1 -c 3 -W 2
log "the relay over the IPv6 underlay with GUE, same peer"
check in_ns hosta fouctl -q down g64
check in_ns hosta fouctl -q up 6120 6121 10.97.0.2 --peer 2001:db8:96::2 --local 2001:db8:96::1 \
    --address 10.97.0.1 --encap gue --name g64 --mode userspace
ping_all hosta 10.97.0.2 -c 3 -W 2
ping_all hostb 10.97.0.1 -c 3 -W 2
check in_ns hosta fouctl -q down g64

log "a config: ipip and sit with GUE to the same peer and local, side by side"
cat >/tmp/gue.json <<'JSON'
{"version": 1, "tunnels": [
  {"name": "g4", "rx_port": 6100, "tx_port": 6101, "peer": "192.168.96.2", "local": "192.168.96.1",
   "routes": ["10.96.0.2/32"], "addresses": ["10.96.0.1/32"], "encap": "gue", "mode": "kernel"},
  {"name": "g6", "rx_port": 6110, "tx_port": 6111, "peer": "192.168.96.2", "local": "192.168.96.1",
   "routes": ["fd00:96::2/128"], "addresses": ["fd00:96::1/128"], "encap": "gue", "mode": "kernel"}]}
JSON
check fouctl check -c /tmp/gue.json
check in_ns hosta fouctl apply -c /tmp/gue.json
ping_all hosta 10.96.0.2 -c 2 -W 2
ping_all hosta fd00:96::2 -6 -c 2 -W 2
in_ns hosta fouctl apply -c /tmp/gue.json 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
log "encap fou for g4: made anew, g6 untouched"
jq '.tunnels[0].encap = "fou"' /tmp/gue.json >/tmp/fou.json
g6_index=$(ip -n hosta -j link show g6 | jq '.[0].ifindex')
rc=0
plan=$(in_ns hosta fouctl plan -c /tmp/fou.json) || rc=$?
echo "$plan"
((rc == 3)) || fail "plan exited $rc, not 3"
[[ $plan == *"ip fou del port 6100 gue"* && $plan == *"ip fou add port 6100 ipproto 4"* ]] ||
    fail "plan does not replace the GUE port"
[[ $plan == *"# MTU 1472 of 'g4': ul0's MTU 1500 less 28 (IPv4 20, UDP 8)"* ]] ||
    fail "plan does not say where the new MTU comes from"
[[ $plan != *g6* ]] || fail "plan touches g6"
check in_ns hosta fouctl apply -c /tmp/fou.json
[[ $(ip -n hosta fou show) == *"port 6100 ipproto 4"* ]] || fail "apply did not make a direct port"
[[ $(ip -n hosta -d link show g4) == *"encap fou"* ]] || fail "apply did not make a FOU device"
[[ $(ip -n hosta -j link show g6 | jq '.[0].ifindex') == "$g6_index" ]] || fail "g6 was made anew"
ping_all hosta fd00:96::2 -6 -c 2 -W 2
check in_ns hosta fouctl -q down --all
[[ -z $(ip -n hosta fou show) ]] || fail "a FOU port was left: $(ip -n hosta fou show)"
