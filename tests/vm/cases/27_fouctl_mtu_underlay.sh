#!/bin/bash
# The MTU from the underlay: over a 9000-byte veth, `fouctl up` without an MTU gives the
# tunnel 8972, what the kernel gives an iproute2 tunnel made without one, and says so in
# up, status and plan; jumbo pings fit exactly. An MTU that is given wins. IPv6 underlay:
# 8952. The relay takes the same MTU. A config without mtu follows a change of the
# underlay on the next apply; the same value given instead rewrites only the mark.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
modprobe ip6_tunnel || fail "cannot load the ip6_tunnel module"
modprobe fou6 || fail "cannot load the fou6 module"

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.97.1/24 hostb ul0 192.168.97.2/24
check ip -n hosta link set ul0 mtu 9000
check ip -n hostb link set ul0 mtu 9000
check ip -n hosta addr add 2001:db8:97::1/64 dev ul0 nodad
check ip -n hostb addr add 2001:db8:97::2/64 dev ul0 nodad

log "hostb: an iproute2 tunnel made without an MTU (the kernel's own choice)"
check ip -n hostb link add jb type ipip remote 192.168.97.1 local 192.168.97.2 ttl 64 \
    encap fou encap-sport auto encap-dport 6200
check ip -n hostb fou add port 6201 ipproto 4
check ip -n hostb addr add 10.98.0.2/32 dev jb
check ip -n hostb link set jb up
check ip -n hostb route add 10.98.0.1/32 dev jb
kernel_mtu=$(ip -n hostb -j link show jb | jq '.[0].mtu')
log "the kernel gave the iproute2 tunnel MTU $kernel_mtu"

log "hosta: fouctl up without an MTU"
out=$(in_ns hosta fouctl up 6200 6201 10.98.0.2 --peer 192.168.97.2 --local 192.168.97.1 \
    --address 10.98.0.1 --name jumbo 2>&1) || fail "up failed: $out"
echo "$out"
[[ $out == *"MTU 8972: ul0's MTU 9000 less 28 (IPv4 20, UDP 8)"* ]] || fail "up did not say where the MTU came from"
mtu=$(ip -n hosta -j link show jumbo | jq '.[0].mtu')
((mtu == 8972)) || fail "the tunnel's MTU is $mtu, not 8972"
((mtu == kernel_mtu)) || fail "fouctl chose $mtu, the kernel $kernel_mtu"
st=$(in_ns hosta fouctl status)
echo "$st"
[[ $st == *"mtu:          8972 (from the underlay: ul0's MTU 9000 less 28 (IPv4 20, UDP 8))"* ]] ||
    fail "status does not say where the MTU came from"
[[ $(ip -n hosta link show jumbo) == *"alias fouctl:v1 mode=kernel rx=6200 tx=6201 mtu=auto"* ]] ||
    fail "the mark does not say the MTU follows the underlay"
ping_all hosta 10.98.0.2 -c 2 -W 2 -M do -s 8944   # 8972 bytes: exactly the MTU
ping_all hostb 10.98.0.1 -c 2 -W 2 -M do -s 8944
ip netns exec hosta ping -c 1 -W 2 -M do -s 8945 10.98.0.2 >/dev/null 2>&1 &&
    fail "a packet one byte over the MTU went out with DF"

log "an MTU that is given wins"
check in_ns hosta fouctl -q up 6210 6211 10.98.1.2 1400 --peer 192.168.97.2 --name given
[[ $(ip -n hosta -j link show given | jq '.[0].mtu') == 1400 ]] || fail "the given MTU was not used"
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[] | select(.name == "given") | .mtu_source') == given ]] ||
    fail "status does not say the MTU was given"
check in_ns hosta fouctl -q down given

log "an IPv6 underlay: 9000 less 48"
check in_ns hosta fouctl -q up 6220 6221 10.98.2.2 --peer 2001:db8:97::2 --local 2001:db8:97::1 --name j6
[[ $(ip -n hosta -j link show j6 | jq '.[0].mtu') == 8952 ]] ||
    fail "the ip6tnl tunnel's MTU is $(ip -n hosta -j link show j6 | jq '.[0].mtu'), not 8952"
check in_ns hosta fouctl -q down j6

log "the relay takes the same MTU and carries jumbo packets to the kernel peer"
check in_ns hosta fouctl -q down jumbo
check in_ns hosta fouctl -q up 6200 6201 10.98.0.2 --peer 192.168.97.2 --local 192.168.97.1 \
    --address 10.98.0.1 --name jumbo --mode userspace
[[ $(ip -n hosta -j link show jumbo | jq '.[0].mtu') == 8972 ]] || fail "the relay's MTU is not 8972"
ping_all hosta 10.98.0.2 -c 2 -W 2 -M do -s 8944
check in_ns hosta fouctl -q down jumbo

log "a config without mtu follows the underlay on the next apply"
cat >/tmp/jumbo.json <<'JSON'
{"version": 1, "tunnels": [
  {"name": "jumbo", "rx_port": 6200, "tx_port": 6201, "peer": "192.168.97.2", "local": "192.168.97.1",
   "routes": ["10.98.0.2/32"], "addresses": ["10.98.0.1/32"], "mode": "kernel"}]}
JSON
check in_ns hosta fouctl -q apply -c /tmp/jumbo.json
[[ $(ip -n hosta -j link show jumbo | jq '.[0].mtu') == 8972 ]] || fail "apply did not take 8972"
in_ns hosta fouctl apply -c /tmp/jumbo.json 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
check ip -n hosta link set ul0 mtu 4000
rc=0
plan=$(in_ns hosta fouctl plan -c /tmp/jumbo.json) || rc=$?
echo "$plan"
((rc == 3)) || fail "plan exited $rc after the underlay changed"
[[ $plan == *"ip link set dev jumbo mtu 3972"* ]] || fail "plan does not resize the tunnel"
[[ $plan == *"# MTU 3972 of 'jumbo': ul0's MTU 4000 less 28 (IPv4 20, UDP 8)"* ]] ||
    fail "plan does not say where the MTU comes from"
st=$(in_ns hosta fouctl status --json)
[[ $(jq -r '.tunnels[0].mtu_source' <<<"$st") == *"which now gives 3972"* ]] ||
    fail "status does not show that the underlay changed: $(jq -c '.tunnels[0]' <<<"$st")"
check in_ns hosta fouctl -q apply -c /tmp/jumbo.json
[[ $(ip -n hosta -j link show jumbo | jq '.[0].mtu') == 3972 ]] || fail "apply did not resize to 3972"
log "the same MTU given in the config: only the mark changes"
jq '.tunnels[0].mtu = 3972' /tmp/jumbo.json >/tmp/jumbo2.json
plan=$(in_ns hosta fouctl plan -c /tmp/jumbo2.json) || true
[[ $plan == "ip link set dev jumbo mtu 3972" ]] || fail "plan for a given MTU: $plan"
check in_ns hosta fouctl -q apply -c /tmp/jumbo2.json
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[0].mtu_source') == given ]] ||
    fail "the MTU is not shown as given after apply"
in_ns hosta fouctl apply -c /tmp/jumbo2.json 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
check in_ns hosta fouctl -q down --all
[[ -z $(ip -n hosta fou show) ]] || fail "a FOU port was left: $(ip -n hosta fou show)"
