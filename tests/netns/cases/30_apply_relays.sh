#!/bin/bash
# Declarative config with relay tunnels (this kernel has no FOU, so 'auto' means relay):
# apply, idempotent re-apply (same relay processes), a settings change restarts only the
# relay concerned, routes and addresses change in place, pruning, traffic across, a
# failure part-way rolls back, foreign objects untouched, down --all. `plan --json` (schema
# fouctl-plan/1) before and after apply, after a route is deleted by hand (also as the
# "drift" of `status --json`), and for an invalid config (exit 2, nothing on stdout).
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

a=${FOUCTL_TEST_ID:-fx}pa b=${FOUCTL_TEST_ID:-fx}pb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.130.1/24 "$b" ul0 192.168.130.2/24
check ip -n "$a" tuntap add dev handmade mode tun
snapshot /tmp/"$a".empty "$a"

conf() { # conf FILE SELF PEER MTU EXTRA_TUNNELS
    cat >"$1" <<JSON
{"version": 1, "tunnels": [
  {"name": "ov", "rx_port": 7000, "tx_port": 7000, "peer": "$3", "local": "$2",
   "routes": ["10.70.0.0/16"], "addresses": ["10.70.$4.1/16"], "mtu": $5}$6
]}
JSON
}
conf /tmp/"$a".json 192.168.130.1 192.168.130.2 1 1400 ',
  {"name": "spoke", "rx_port": 7100, "tx_port": 7101, "routes": ["10.71.0.0/24"]}'
conf /tmp/"$b".json 192.168.130.2 192.168.130.1 2 1400 ''
check fouctl check -c /tmp/"$a".json

# plan_json FILE: `fouctl plan --json -c FILE` in A; sets rc and plan (stdout), and checks
# that stdout is one JSON document of schema fouctl-plan/1 whose "pending" counts "changes".
plan_json() {
    rc=0
    plan=$(in_ns "$a" fouctl plan --json -c "$1") || rc=$?
    printf '%s\n' "$plan"
    jq -e '.schema == "fouctl-plan/1" and .pending == (.changes | length)' <<<"$plan" >/dev/null ||
        fail "plan --json -c $1 is not a fouctl-plan/1 document: $plan"
    [[ $(jq -r .config <<<"$plan") == "$1" ]] || fail "plan --json names another config"
}
log "plan --json with nothing applied: two tunnels to create, exit 3"
plan_json /tmp/"$a".json
((rc == 3)) || fail "plan --json exited $rc with changes pending, not 3"
[[ $(jq -c '[.changes[] | [.action, .object, .op, .tunnel, (.before == null), .after.name]]' <<<"$plan") == \
    '[["create","tunnel","create","ov",true,"ov"],["create","tunnel","create","spoke",true,"spoke"]]' ]] ||
    fail "plan --json does not list the two creations"
# A created tunnel is spelled as the config spells it: the file's own values come back, and
# the backend auto chose (bpf where this kernel can load the programs, else the relay).
[[ $(jq -c '.changes[0].after | [.rx_port, .tx_port, .peer, .local, .routes, .addresses, .mtu]' \
    <<<"$plan") == '[7000,7000,"192.168.130.2","192.168.130.1",["10.70.0.0/16"],["10.70.1.1/16"],1400]' ]] ||
    fail "the creation of 'ov' does not carry its config"
modes=$(jq -S -c '[.changes[] | {(.tunnel): .after.mode}] | add' <<<"$plan")
[[ $(jq -r '.changes[1].note' <<<"$plan") == "MTU 1472 of 'spoke': "* ]] ||
    fail "the creation of 'spoke' lacks the note on its MTU"
[[ $(jq -r '.changes[1].command' <<<"$plan") == "start relay spoke: "* ]] || fail "no command text"
check in_ns "$a" fouctl apply -c /tmp/"$a".json
check in_ns "$b" fouctl apply -c /tmp/"$b".json
ping_all "$a" 10.70.2.1

pid() { in_ns "$a" fouctl status --json | jq --arg n "$1" '.tunnels[] | select(.name == $n) | .relay.pid'; }
ov=$(pid ov) spoke=$(pid spoke)
log "plan --json after apply: nothing pending, exit 0"
[[ $(in_ns "$a" fouctl status --json | jq -S -c '[.tunnels[] | {(.name): .mode}] | add') == "$modes" ]] ||
    fail "plan --json named the modes $modes, apply chose others"
plan_json /tmp/"$a".json
((rc == 0)) || fail "plan --json exited $rc with nothing pending, not 0"
[[ $(jq -c .changes <<<"$plan") == '[]' ]] || fail "plan --json lists changes after apply"

log "plan --json after a route deleted by hand: one add_route, also as status's drift"
check ip -n "$a" route del 10.71.0.0/24 dev spoke
plan_json /tmp/"$a".json
((rc == 3)) || fail "plan --json exited $rc with a route missing, not 3"
[[ $(jq -c '.changes' <<<"$plan") == '[{"action":"create","object":"route","tunnel":"spoke","op":"add_route","before":null,"after":{"prefix":"10.71.0.0/24"},"command":"ip route add 10.71.0.0/24 dev spoke proto 252 scope link"}]' ]] ||
    fail "plan --json does not list exactly the missing route"
rc=0
status=$(in_ns "$a" fouctl status --json -c /tmp/"$a".json) || rc=$?
((rc == 3)) || fail "status --json -c exited $rc with a route missing, not 3"
[[ $(jq -S -c .drift <<<"$status") == "$(jq -S -c . <<<"$plan")" ]] ||
    fail "status --json's drift is not plan --json's document: $(jq -c .drift <<<"$status")"
[[ $(jq -c '.tunnels[] | select(.name == "spoke") | .drift' <<<"$status") == \
    '["ip route add 10.71.0.0/24 dev spoke proto 252 scope link"]' ]] || fail "spoke's own drift"
check in_ns "$a" fouctl -q apply -c /tmp/"$a".json

log "plan --json with an invalid config: exit 2, the error on stderr, stdout empty"
echo '{"version": 1, "tunnels": [{"rx_port": 70000, "tx_port": 7001, "routes": ["10.79.0.0/24"]}]}' \
    >/tmp/"$a".invalid.json
on_exit rm -f /tmp/"$a".invalid.json /tmp/"$a".err
rc=0
out=$(in_ns "$a" fouctl plan --json -c /tmp/"$a".invalid.json 2>/tmp/"$a".err) || rc=$?
cat /tmp/"$a".err
((rc == 2)) || fail "plan --json exited $rc with an invalid config, not 2"
[[ -z $out ]] || fail "plan --json printed on stdout despite the error: $out"
grep -q '/tunnels/0/rx_port' /tmp/"$a".err || fail "the error does not name the bad value"

log "re-apply: nothing to do, same relays"
in_ns "$a" fouctl apply -c /tmp/"$a".json 2>/tmp/"$a".again || fail "re-apply failed"
grep -q 'nothing to do' /tmp/"$a".again || fail "re-apply did something"
[[ $(pid ov) == "$ov" && $(pid spoke) == "$spoke" ]] || fail "relays were restarted"
expect_fail 3 in_ns "$a" fouctl status -c /tmp/"$b".json

log "an address change is in place; an MTU change restarts only that relay"
conf /tmp/"$a".json 192.168.130.1 192.168.130.2 1 1400 ',
  {"name": "spoke", "rx_port": 7100, "tx_port": 7101, "routes": ["10.71.0.0/24", "10.72.0.0/24"], "mtu": 1300}'
check in_ns "$a" fouctl apply -c /tmp/"$a".json
[[ $(pid ov) == "$ov" ]] || fail "'ov' was restarted though its settings did not change"
[[ $(pid spoke) != "$spoke" ]] || fail "'spoke' kept running with old settings"
[[ $(in_ns "$a" fouctl status --json | jq '.tunnels[] | select(.name == "spoke") | .mtu') == 1300 ]] ||
    fail "spoke mtu"
ping_all "$a" 10.70.2.1

log "a failure part-way rolls back"
snapshot /tmp/"$a".good "$a"
ip netns exec "$a" timeout 60 socat -u UDP-RECV:7200 OPEN:/dev/null &
on_exit kill "$!"
wait_udp_port "$a" 7200
jq '.tunnels = [.tunnels[0]] | .tunnels += [{"name": "blocked", "rx_port": 7200, "tx_port": 7201, "routes": ["10.73.0.0/24"]}]' \
    /tmp/"$a".json >/tmp/"$a".bad.json
expect_fail 1 in_ns "$a" fouctl apply -c /tmp/"$a".bad.json
expect_stderr_contains "rolling back"
snapshot /tmp/"$a".after "$a"
# A stopped relay cannot be resumed: rollback starts it again, on a new device (ifindex).
sed -i -E 's/^[0-9]+: //' /tmp/"$a".good /tmp/"$a".after
same_snapshot /tmp/"$a".good /tmp/"$a".after
[[ -n $(pid spoke) ]] || fail "'spoke' (removed by the failed apply) was not brought back"

log "prune, then down --all; the hand-made device stays"
conf /tmp/"$a".json 192.168.130.1 192.168.130.2 1 1400 ''
check in_ns "$a" fouctl apply -c /tmp/"$a".json
[[ -z $(pid spoke) ]] || fail "'spoke' was not pruned"
check in_ns "$a" fouctl down --all
check in_ns "$b" fouctl down -c /tmp/"$b".json
snapshot /tmp/"$a".after "$a"
same_snapshot /tmp/"$a".empty /tmp/"$a".after
