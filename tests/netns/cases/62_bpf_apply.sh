#!/bin/bash
# The bpf backend under apply: a config whose tunnel is `auto` becomes a bpf tunnel on this
# kernel (no FOU modules), applies, re-applies to nothing, shows drift (a route deleted by
# hand) in status and plan and is repaired by apply; a changed route makes it anew; a
# failing second tunnel rolls the whole apply back. A clsact qdisc and filter that were
# there before fouctl stay untouched throughout, and down -c leaves nothing else.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}ba b=${FOUCTL_TEST_ID:-fx}bb cfg=/tmp/${FOUCTL_TEST_ID:-fx}bpf.json
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.121.1/24 "$b" ul0 192.168.121.2/24
# A failed case still takes its bpf tunnels down: pins made through `fouctl -n` live in the
# host's bpffs, not in the namespace.
on_exit fouctl -n "$a" down --all
on_exit fouctl -n "$b" down --all
on_exit rm -f "$cfg" "$cfg".2 "$cfg".3

log "someone else's clsact filter on A's underlay, there before fouctl"
check tc -n "$a" qdisc add dev ul0 clsact
# A classic BPF filter (cls_bpf, which the datapath needs anyway) that matches nothing.
check tc -n "$a" filter add dev ul0 ingress pref 100 protocol arp bpf bytecode '1,6 0 0 0,'
tc_before=$(tc -n "$a" filter show dev ul0 ingress pref 100; tc -n "$a" qdisc show dev ul0 | grep clsact)
[[ $tc_before == *"bytecode '1,6 0 0 0'"* ]] || fail "the foreign filter is not there: $tc_before"
snapshot /tmp/"$a".before "$a"

check in_ns "$b" fouctl -q up 7000 7000 10.63.0.1 --peer 192.168.121.1 --address 10.63.0.2 --mode bpf
cat >"$cfg" <<'JSON'
{"version": 1, "tunnels": [
  {"name": "bt", "rx_port": 7000, "tx_port": 7000, "peer": "192.168.121.2",
   "routes": ["10.63.0.2/32"], "addresses": ["10.63.0.1/32"]}]}
JSON
check fouctl check -c "$cfg"
out=$(fouctl -n "$a" apply -c "$cfg" 2>&1) || fail "apply failed: $out"
echo "$out"
[[ $out == *"ip route add 10.63.0.2/32 encap bpf xmit"* ]] || fail "apply did not create a bpf tunnel"
[[ $(fouctl -n "$a" status --json | jq -r '.tunnels[0].mode') == bpf ]] || fail "auto did not become bpf"
ping_all "$a" 10.63.0.2 -c 2 -W 2
fouctl -n "$a" apply -c "$cfg" 2>&1 | grep -q 'nothing to do' || fail "re-apply did something"
check fouctl -n "$a" status -c "$cfg"

log "drift: the route deleted by hand"
check ip -n "$a" route del 10.63.0.2/32
rc=0
fouctl -n "$a" status -c "$cfg" >/dev/null || rc=$?
((rc == 3)) || fail "status -c exited $rc with a route missing, not 3"
rc=0
plan=$(fouctl -n "$a" plan -c "$cfg") || rc=$?
echo "$plan"
((rc == 3)) || fail "plan exited $rc, not 3"
check fouctl -n "$a" -q apply -c "$cfg"
ping_all "$a" 10.63.0.2 -c 2 -W 2

log "another route: the tunnel is made anew"
jq '.tunnels[0].routes += ["10.63.9.0/24"]' "$cfg" >"$cfg".2
plan=$(fouctl -n "$a" plan -c "$cfg".2) || true
[[ $plan == *"remove bpf tunnel bt"*"ip route add 10.63.9.0/24 encap bpf xmit fou_encap"* ]] ||
    fail "plan: $plan"
check fouctl -n "$a" -q apply -c "$cfg".2
ip -n "$a" route show proto 252 | grep -q "10.63.9.0/24 *encap bpf" || fail "the new route is missing"
ping_all "$a" 10.63.0.2 -c 2 -W 2

log "a second tunnel that cannot come up: the whole apply is rolled back"
before=$(fouctl -n "$a" status --json | jq -c '[.tunnels[] | {name, mode, routes, addresses, mtu}]')
jq '.tunnels[0].routes = ["10.63.0.2/32"] | .tunnels += [{"name": "bad", "rx_port": 7001,
    "tx_port": 7001, "peer": "192.0.2.1", "routes": ["10.64.0.0/24"], "mode": "bpf"}]' \
    "$cfg".2 >"$cfg".3
expect_fail 1 fouctl -n "$a" apply -c "$cfg".3
expect_stderr_contains "rolling back"
after=$(fouctl -n "$a" status --json | jq -c '[.tunnels[] | {name, mode, routes, addresses, mtu}]')
[[ $before == "$after" ]] || fail "apply was not rolled back: $before -> $after"
[[ -z $(ip -n "$a" route show 10.64.0.0/24) ]] || fail "the failed tunnel's route was left"
ping_all "$a" 10.63.0.2 -c 2 -W 2

log "down -c: nothing of fouctl left, the foreign qdisc and filter untouched"
check fouctl -n "$a" -q down -c "$cfg"
check in_ns "$b" fouctl -q down --all
tc_after=$(tc -n "$a" filter show dev ul0 ingress pref 100; tc -n "$a" qdisc show dev ul0 | grep clsact)
[[ $tc_before == "$tc_after" ]] || fail "the foreign tc state changed: $tc_before -> $tc_after"
[[ -z $(tc -n "$a" filter show dev ul0 ingress | grep fou_decap) ]] || fail "fouctl's filter is left"
snapshot /tmp/"$a".after "$a"
same_snapshot /tmp/"$a".before /tmp/"$a".after
[[ -z $(ip -n "$a" route show table all proto 252) ]] || fail "routes of proto 252 left"
