#!/bin/bash
# IPv6 inside FOU over IPv4: `fouctl up` with IPv6 REMOTEs makes a sit device and a FOU port
# with ipproto 41, and talks to a plain iproute2 sit/FOU peer (ping and 4 MiB TCP each way,
# sha256 equal); the relay talks to that same peer. A config with such a tunnel applies
# and re-applies to nothing; REMOTEs of both families are refused in kernel mode and go to
# the BPF datapath in auto mode (one bpf tunnel carries both).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
modprobe sit || fail "cannot load the sit module"

netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.95.1/24 hostb ul0 192.168.95.2/24

log "hostb: plain iproute2, sit with FOU encapsulation, default offloads"
check ip -n hostb link add sitb type sit remote 192.168.95.1 local 192.168.95.2 ttl 64 \
    encap fou encap-sport auto encap-dport 6000
check ip -n hostb fou add port 6001 ipproto 41
check ip -n hostb addr add fd00:95::2/128 dev sitb
check ip -n hostb link set sitb up
check ip -n hostb route add fd00:95::1/128 dev sitb

log "hosta: fouctl up with an IPv6 REMOTE"
check in_ns hosta fouctl up 6000 6001 fd00:95::2 --peer 192.168.95.2 --local 192.168.95.1 \
    --address fd00:95::1 --name six
link=$(ip -n hosta -d link show six)
echo "$link"
[[ $link == *"sit ip6ip remote 192.168.95.2 local 192.168.95.1"* ]] || fail "not a sit device"
[[ $link == *"encap fou"*"encap-dport 6001"* ]] || fail "no FOU encapsulation to port 6001"
[[ $(ip -n hosta fou show) == *"port 6000 ipproto 41"* ]] || fail "no FOU port 6000 ipproto 41"
st=$(in_ns hosta fouctl status --json)
[[ $(jq -r '.tunnels[0].kind' <<<"$st") == sit ]] || fail "status kind: $(jq -c '.tunnels[0]' <<<"$st")"
# Every route into the device: REMOTE, and the kernel's prefix route of the address.
[[ $(jq -c '.tunnels[0].routes | sort' <<<"$st") == '["fd00:95::1/128","fd00:95::2/128"]' ]] ||
    fail "status routes: $(jq -c '.tunnels[0].routes' <<<"$st")"
in_ns hosta fouctl up 6000 6001 fd00:95::2 --peer 192.168.95.2 --local 192.168.95.1 \
    --address fd00:95::1 --name six 2>&1 | grep -q 'nothing changed' || fail "second up changed something"

ping_all hosta fd00:95::2 -6 -c 3 -W 2
ping_all hostb fd00:95::1 -6 -c 3 -W 2

tcp_each_way hosta fd00:95::1 hostb fd00:95::2

log "the relay against the same iproute2 sit peer"
check in_ns hosta fouctl -q down six
check in_ns hosta fouctl -q up 6000 6001 fd00:95::2 --peer 192.168.95.2 --local 192.168.95.1 \
    --address fd00:95::1 --name six --mode userspace
ping_all hosta fd00:95::2 -6 -c 3 -W 2
tcp_each_way hosta fd00:95::1 hostb fd00:95::2
check in_ns hosta fouctl -q down six

log "a config with a sit tunnel: apply, then nothing to do"
cat >/tmp/sit.json <<'JSON'
{"version": 1, "tunnels": [
  {"name": "six", "rx_port": 6000, "tx_port": 6001, "peer": "192.168.95.2", "local": "192.168.95.1",
   "routes": ["fd00:95::2/128"], "addresses": ["fd00:95::1/128"], "mode": "kernel"}]}
JSON
check in_ns hosta fouctl apply -c /tmp/sit.json
ping_all hosta fd00:95::2 -6 -c 2 -W 2
in_ns hosta fouctl apply -c /tmp/sit.json 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
check in_ns hosta fouctl plan -c /tmp/sit.json
check in_ns hosta fouctl status -c /tmp/sit.json
check in_ns hosta fouctl -q down --all
[[ -z $(ip -n hosta fou show) ]] || fail "a FOU port was left: $(ip -n hosta fou show)"

log "both families: refused in kernel mode, the BPF datapath in auto mode"
expect_fail 2 in_ns hosta fouctl up 6002 6003 10.95.0.0/24,fd00:96::/64 --peer 192.168.95.2 --mode kernel
expect_stderr_contains "REMOTEs of both families"
expect_stderr_contains "--mode userspace"
out=$(in_ns hosta fouctl up 6002 6003 10.95.0.0/24,fd00:96::/64 --peer 192.168.95.2 2>&1) ||
    fail "auto up failed: $out"
[[ $out == *"REMOTEs of both families"*"; using the BPF datapath"* ]] || fail "auto did not say why: $out"
[[ $(in_ns hosta fouctl status --json | jq -r '.tunnels[0].mode') == bpf ]] ||
    fail "auto did not choose the BPF datapath for both families"
check in_ns hosta fouctl -q down --all
