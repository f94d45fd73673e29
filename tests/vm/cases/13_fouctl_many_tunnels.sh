#!/bin/bash
# Several seed-style loopback tunnels coexist on one host (each gets its own outer
# local address, since the kernel tells tunnels apart by outer addresses only), are
# removed in every order, and leave nothing behind. Hand-made objects are never touched.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add multi
# Foreign objects fouctl must not touch: an ipip device and a FOU port made by hand.
check ip -n multi link add handmade type ipip remote 192.0.2.9 local 192.0.2.8
check ip -n multi fou add port 7777 ipproto 4
snapshot /tmp/before multi

up_all() {
    check in_ns multi fouctl -q up 2001 2002 10.0.2.0/24
    check in_ns multi fouctl -q up 2003 2004 10.0.3.0/24 200
    check in_ns multi fouctl -q up 2005 2006 10.0.4.0/24,10.0.5.0/24 --name hub-c
}

up_all
ip -n multi -d link show type ipip
locals=$(in_ns multi fouctl status --json | jq -r '[.tunnels[].local] | sort | join(" ")')
[[ $locals == "127.0.0.1 127.0.0.2 127.0.0.3" ]] || fail "outer local addresses are '$locals'"
[[ $(ip -n multi fou show | wc -l) == 4 ]] || fail "expected 4 FOU ports"
[[ $(in_ns multi fouctl status --json | jq '.tunnels | length') == 3 ]] || fail "status lists != 3"
[[ $(ip -n multi route show proto 252 | wc -l) == 4 ]] || fail "expected 4 fouctl routes"

orders=("2001 2003 hub-c" "2001 hub-c 2003" "fou2003 2001 2005" "2003 2005 fou2001"
        "hub-c 2001 2003" "2005 fou2003 fou2001")
for order in "${orders[@]}"; do
    log "down in order: $order"
    # shellcheck disable=SC2086 # intentional word splitting
    set -- $order
    for t in "$@"; do
        check in_ns multi fouctl -q down "$t"
    done
    snapshot /tmp/after multi
    same_snapshot /tmp/before /tmp/after
    up_all
done
for t in 2001 2003 2005; do check in_ns multi fouctl -q down "$t"; done
snapshot /tmp/after multi
same_snapshot /tmp/before /tmp/after

log "namespaces are independent"
netns_add other
check in_ns other fouctl -q up 2001 2002 10.0.2.0/24
[[ $(in_ns multi fouctl status) == "no fouctl tunnels"* ]] || fail "a tunnel leaked into 'multi'"
check in_ns other fouctl -q down 2001
