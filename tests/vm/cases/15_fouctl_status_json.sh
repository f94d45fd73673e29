#!/bin/bash
# `fouctl status --json` agrees with what `ip -j` reports for every tunnel (with -a; without
# it the kernel's own fe80:: addresses are left out).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add st
check in_ns st fouctl -q up 2001 2002 10.0.2.0/24 100 --address 10.0.1.1/24
check in_ns st fouctl -q up 3001 3002 10.3.0.0/16,10.4.0.4 --peer 192.0.2.7 --local 192.0.2.6 --name far
# Some traffic, so counters are not all zero (no reply: nobody is at the other end).
in_ns st ping -c 3 -i 0.2 -W 1 10.0.2.9 >/dev/null 2>&1 || true

# -a: every address, the kernel's fe80:: too (6.12 gives ipip devices one), as ip lists them.
json=$(in_ns st fouctl status --json -a)
echo "$json"
[[ $(jq '.tunnels | length' <<<"$json") == 2 ]] || fail "expected 2 tunnels"
for name in fou2001 far; do
    t=$(jq --arg n "$name" '.tunnels[] | select(.name == $n)' <<<"$json")
    [[ -n $t ]] || fail "status lacks $name"
    l=$(ip -n st -j -d -s link show "$name" | jq '.[0]')
    eq() { # eq WHAT STATUS_EXPR IP_EXPR
        local a b
        a=$(jq -c "$2" <<<"$t")
        b=$(jq -c "$3" <<<"$l")
        [[ $a == "$b" ]] || fail "$name: $1 differs: status $a, ip $b"
    }
    eq ifindex .ifindex .ifindex
    eq mtu .mtu .mtu
    eq peer .peer .linkinfo.info_data.remote
    eq local .local .linkinfo.info_data.local
    eq tx_port .tx_port .linkinfo.info_data.encap.dport
    eq up '.up' '(.flags | index("UP") != null)'
    eq tx_packets .counters.tx_packets .stats64.tx.packets
    eq rx_bytes .counters.rx_bytes .stats64.rx.bytes
    want_routes=$(ip -n st -j route show dev "$name" |
        jq -c '[.[] | .dst | if test("/") then . else . + "/32" end] | sort')
    eq routes '.routes | sort' "$want_routes"
    want_addrs=$(ip -n st -j addr show dev "$name" |
        jq -c '[.[0].addr_info[] | "\(.local)/\(.prefixlen)"] | sort')
    eq addresses '.addresses | sort' "$want_addrs"
    plain=$(in_ns st fouctl status --json | jq -c --arg n "$name" '.tunnels[] | select(.name == $n) | .addresses | sort')
    [[ $plain == "$(jq -c '[.[] | select(startswith("fe80:") | not)]' <<<"$want_addrs")" ]] ||
        fail "$name: without -a status lists $plain"
    rxp=$(jq .rx_port <<<"$t")
    ip -n st fou show | grep -q "port $rxp ipproto 4" || fail "$name: FOU port $rxp not open"
    [[ $(jq .rx_port_open <<<"$t") == true ]] || fail "$name: rx_port_open is not true"
done
[[ $(jq -r '.tunnels[] | select(.name=="fou2001") | .counters.tx_packets' <<<"$json") -ge 3 ]] ||
    fail "fou2001 counted fewer than 3 transmitted packets"
check in_ns st fouctl -q down far
check in_ns st fouctl -q down 2001
