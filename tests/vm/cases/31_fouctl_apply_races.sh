#!/bin/bash
# An apply killed with SIGKILL part-way is finished by the next apply; two applies at
# once wait for each other (one lock per namespace) and converge.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add race
gen() { # gen N FILE: N loopback tunnels
    local n=$1 i
    {
        echo '{"version": 1, "tunnels": ['
        for ((i = 0; i < n; i++)); do
            ((i)) && echo ','
            printf '{"name": "r%d", "rx_port": %d, "tx_port": %d, "routes": ["10.%d.%d.0/24"]}' \
                "$i" $((20000 + 2 * i)) $((20001 + 2 * i)) $((100 + i / 200)) $((i % 200))
        done
        echo ']}'
    } >"$2"
}
gen 40 /tmp/r.json
check fouctl check -c /tmp/r.json

log "kill -9 in the middle of an apply"
in_ns race fouctl -q apply -c /tmp/r.json &
victim=$!
for ((i = 0; i < 100; i++)); do
    (($(ip -n race -o link show type ipip | wc -l) >= 5)) && break
    sleep 0.02
done
kill -9 "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
echo "killed with $(ip -n race -o link show type ipip | wc -l) ipip devices up"
check in_ns race fouctl -q apply -c /tmp/r.json
check in_ns race fouctl plan -c /tmp/r.json
[[ $(in_ns race fouctl status --json | jq '.tunnels | length') == 40 ]] || fail "not 40 tunnels"

log "two applies at once"
check in_ns race fouctl -q down --all
in_ns race fouctl apply -c /tmp/r.json 2>/tmp/one.err &
p1=$!
in_ns race fouctl apply -c /tmp/r.json 2>/tmp/two.err &
p2=$!
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
grep -h 'waiting for another fouctl run\|nothing to do' /tmp/one.err /tmp/two.err || true
((rc1 == 0 && rc2 == 0)) || fail "concurrent applies exited $rc1 and $rc2"
grep -q 'waiting for another fouctl run' /tmp/one.err /tmp/two.err || fail "neither apply waited for the lock"
check in_ns race fouctl plan -c /tmp/r.json
check in_ns race fouctl -q down --all
