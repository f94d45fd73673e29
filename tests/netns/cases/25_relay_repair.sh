#!/bin/bash
# Relay tunnels are described by the kernel's objects, not by what the relay says of itself:
# an MTU, down state, flushed addresses or deleted routes made by hand show in status (exit 3
# against the config) and plan, and `up` (same arguments) or `apply` puts them back without
# restarting the relay. Cached exception routes (after PMTU traffic) are not listed twice and
# the kernel's fe80:: address is not the tunnel's unless asked (status -a).
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}ra b=${FOUCTL_TEST_ID:-fx}rb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.150.1/24 "$b" ul0 192.168.150.2/24
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"

cat >"$tmp/a.json" <<'JSON'
{"version": 1, "tunnels": [
  {"name": "rp", "rx_port": 7500, "tx_port": 7500, "peer": "192.168.150.2", "local": "192.168.150.1",
   "routes": ["10.75.2.0/24"], "addresses": ["10.75.1.1/32"], "mtu": 1400, "mode": "userspace"}]}
JSON
up_args=(up 7500 7500 10.75.2.0/24 1400 --name rp --peer 192.168.150.2 --local 192.168.150.1
    --address 10.75.1.1)
check in_ns "$a" fouctl apply -c "$tmp/a.json"
check in_ns "$b" fouctl -q up 7500 7500 10.75.1.1 1400 --mode userspace --name rp --peer 192.168.150.1 \
    --local 192.168.150.2 --address 10.75.2.1
ping_all "$a" 10.75.2.1

st() { in_ns "$a" fouctl status --json | jq -c --arg f "$1" '.tunnels[] | select(.name == "rp") | getpath($f | split("."))'; }
pid=$(st relay.pid)

log "MTU set by hand: status shows the device's, plan and apply restore it in place"
check ip -n "$a" link set rp mtu 1300
[[ $(st mtu) == 1300 ]] || fail "status shows mtu $(st mtu), not the device's 1300"
expect_fail 3 in_ns "$a" fouctl status -c "$tmp/a.json"
expect_fail 3 in_ns "$a" fouctl plan -c "$tmp/a.json"
[[ $(in_ns "$a" fouctl plan -c "$tmp/a.json") == *"ip link set dev rp mtu 1400"* ]] ||
    fail "plan does not restore the MTU in place"
check in_ns "$a" fouctl apply -c "$tmp/a.json"
[[ $(ip -n "$a" -o link show rp) == *"mtu 1400 "* ]] || fail "apply did not restore the MTU"
[[ $(st relay.pid) == "$pid" ]] || fail "apply restarted the relay for a device MTU"
check in_ns "$a" fouctl status -c "$tmp/a.json"

log "device set down and flushed: a second identical up repairs it"
check ip -n "$a" link set rp down
check ip -n "$a" addr flush dev rp
[[ $(st up) == false ]] || fail "status says the downed device is up"
[[ $(st addresses) == '[]' ]] || fail "status lists flushed addresses: $(st addresses)"
expect_fail 3 in_ns "$a" fouctl status -c "$tmp/a.json"
in_ns "$a" fouctl "${up_args[@]}" 2>"$tmp/up" || fail "up failed: $(cat "$tmp/up")"
cat "$tmp/up"
grep -q 'nothing changed' "$tmp/up" && fail "up said nothing changed on a broken tunnel"
grep -q 'ip link set dev rp up' "$tmp/up" || fail "up did not bring the device up"
[[ $(st up) == true && $(st addresses) == '["10.75.1.1/32"]' ]] ||
    fail "up left the tunnel broken: up $(st up), addresses $(st addresses)"
[[ $(st routes) == *10.75.2.0/24* ]] || fail "the route is missing: $(st routes)"
[[ $(st relay.pid) == "$pid" ]] || fail "up restarted the relay"
check in_ns "$a" fouctl status -c "$tmp/a.json"
ping_all "$a" 10.75.2.1
in_ns "$a" fouctl "${up_args[@]}" 2>"$tmp/up" || fail "up failed: $(cat "$tmp/up")"
grep -q 'nothing changed' "$tmp/up" || fail "a third up changed something: $(cat "$tmp/up")"

log "device set down by hand: drift lists bringing it up; apply does it (routes need it)"
check ip -n "$a" link set rp down
out=$(in_ns "$a" fouctl status -c "$tmp/a.json") && fail "status exit 0 with the device down"
printf '%s\n' "$out"
[[ $out == *"DRIFT:        ip link set dev rp up"* ]] || fail "drift does not name the fix"
check in_ns "$a" fouctl apply -c "$tmp/a.json"
[[ $(st up) == true ]] || fail "apply did not bring the device up"
[[ $(st relay.pid) == "$pid" ]] || fail "apply restarted the relay"
ping_all "$a" 10.75.2.1

log "an asked MTU other than the relay's is a settings change: up refuses, apply restarts"
expect_fail 1 in_ns "$a" fouctl up 7500 7500 10.75.2.0/24 1300 --name rp --peer 192.168.150.2 \
    --local 192.168.150.1 --address 10.75.1.1
expect_stderr_contains "MTU is 1400, not 1300"

log "PMTU traffic: each route once; fe80:: only with -a"
# A smaller underlay: the relay answers "fragmentation needed" and the kernel keeps a
# cached exception route for the destination.
check ip -n "$a" link set ul0 mtu 1200
in_ns "$a" ping -c 2 -W 2 -M do -s 1360 10.75.2.1 >/dev/null 2>&1 || true
ip -n "$a" route show cache 10.75.2.1
ip -n "$a" route get 10.75.2.1 | grep -q 'mtu 1172' || fail "no PMTU exception was learned"
[[ $(st routes) == '["10.75.2.0/24"]' ]] || fail "routes listed: $(st routes)"
check ip -n "$a" link set ul0 mtu 1500
check ip netns exec "$a" sysctl -q net.ipv6.conf.rp.disable_ipv6=0
check ip -n "$a" addr add fe80::75/64 dev rp
[[ $(st addresses) == '["10.75.1.1/32"]' ]] || fail "status lists a link-local address: $(st addresses)"
in_ns "$a" fouctl status -a | grep -q 'fe80::75/64' || fail "status -a hides the link-local address"
check in_ns "$a" fouctl status -c "$tmp/a.json"

check in_ns "$a" fouctl -q down --all
check in_ns "$b" fouctl -q down --all
