#!/bin/bash
# Declarative config with relay tunnels (this kernel has no FOU, so 'auto' means relay):
# apply, idempotent re-apply (same relay processes), a settings change restarts only the
# relay concerned, routes and addresses change in place, pruning, traffic across, a
# failure part-way rolls back, foreign objects untouched, down --all.
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
check in_ns "$a" fouctl apply -c /tmp/"$a".json
check in_ns "$b" fouctl apply -c /tmp/"$b".json
ping_all "$a" 10.70.2.1

pid() { in_ns "$a" fouctl status --json | jq --arg n "$1" '.tunnels[] | select(.name == $n) | .relay.pid'; }
ov=$(pid ov) spoke=$(pid spoke)
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
