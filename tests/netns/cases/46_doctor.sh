#!/bin/bash
# fouctl doctor on a relay pair: healthy, it exits 0; then one thing at a time is broken
# (an nftables drop on the receive port, strict rp_filter with traffic from a source the
# tunnel does not route, an underlay MTU too small, no route to the peer) and doctor must
# name it (a "fail" line of that check), exit 4, and leave the namespace as it was: links,
# addresses, routes, the ruleset and the sysctls it reads. This kernel has no FOU module:
# doctor must say so, with the CONFIG name.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v nft >/dev/null || skip "nft is not installed (Build-Depends: nftables <!nocheck>)"
command -v jq >/dev/null || skip "jq is not installed"
id=${FOUCTL_TEST_ID:-fx}
a=${id}docA b=${id}docB tmp=$(mktemp -d)
port=9146
on_exit rm -rf "$tmp"
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.146.1/24 "$b" ul0 192.168.146.2/24
on_exit in_ns "$a" fouctl -q down --all
on_exit in_ns "$b" fouctl -q down --all
check in_ns "$a" fouctl -q up "$port" "$port" 172.30.46.2 --peer 192.168.146.2 \
    --address 172.30.46.1 --mode userspace
check in_ns "$b" fouctl -q up "$port" "$port" 172.30.46.1 --peer 192.168.146.1 \
    --address 172.30.46.2 --mode userspace
ping_all "$a" 172.30.46.2

# state NS: what doctor must not change.
state() {
    snapshot "$tmp/snap" "$1"
    cat "$tmp/snap"
    ip netns exec "$1" nft list ruleset
    ip netns exec "$1" sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter \
        "net.ipv4.conf.fou$port.rp_filter"
}

# doctor_expect CODE CHECK: runs `fouctl doctor` in A, which must exit CODE, print a
# "fail" line of CHECK (none when CODE is 0) and change nothing. Leaves its output in $out.
doctor_expect() {
    local want=$1 what=$2 rc=0 before after
    before=$(state "$a")
    out=$(in_ns "$a" fouctl doctor 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/    | /'
    after=$(state "$a")
    [[ $before == "$after" ]] || fail "doctor changed the namespace: $(diff <(echo "$before") <(echo "$after"))"
    ((rc == want)) || fail "doctor exited $rc, not $want ($what)"
    if ((want == 0)); then
        ! grep -qE '^  fail ' <<<"$out" || fail "a healthy tunnel has a failing check"
        [[ $out == *"1 tunnel checked: "*" 0 fail"* ]] || fail "no summary line"
    else
        grep -qE "^  fail +$what " <<<"$out" || fail "doctor did not name '$what' as failing"
    fi
}

log "healthy: exit 0; the missing fou module is named with its CONFIG option"
doctor_expect 0 ""
grep -qE "^  warn +kernel +the kernel has no 'fou' module \(CONFIG_NET_FOU\)" <<<"$out" ||
    fail "doctor does not name the missing fou module"
grep -qE '^  ok +firewall ' <<<"$out" || fail "the empty ruleset is not reported as letting the port through"
json=$(in_ns "$a" fouctl doctor --json) || fail "doctor --json failed"
[[ $(jq -r '"\(.schema) \(.summary.fail) \(.tunnels[0].name) \(.tunnels[0].findings | map(.check) | join(","))"' <<<"$json") == \
    "fouctl-doctor/1 0 fou$port kernel,route,mtu,port,firewall,rp_filter,forwarding,counters" ]] ||
    fail "doctor --json: $(jq -c . <<<"$json")"
out=$(in_ns "$a" fouctl doctor "fou$port") || fail "doctor NAME failed"
[[ $out == "tunnel fou$port "* ]] || fail "doctor NAME: $out"
# Without root relays are not listed (their control sockets are root's): doctor says so.
out=$(in_ns "$a" setpriv --reuid=65534 --regid=65534 --clear-groups fouctl doctor 2>&1) ||
    fail "doctor as nobody exited $?: $out"
[[ $out == *"not root: relay and BPF tunnels are not listed"* ]] || fail "doctor as nobody: $out"
expect_fail 1 in_ns "$a" fouctl doctor nosuch
expect_stderr_contains "no fouctl tunnel 'nosuch'"
expect_fail 2 in_ns "$a" fouctl doctor ../x

log "an nftables drop on the receive port"
check ip netns exec "$a" nft -f - <<EOF
table inet doctortest {
    chain input {
        type filter hook input priority filter; policy accept;
        udp dport $port counter drop
    }
}
EOF
doctor_expect 4 firewall
grep -q "udp dport $port" <<<"$out" || fail "the firewall finding does not show the rule"
[[ $(in_ns "$a" fouctl doctor --json | jq -r '.summary.fail') == 1 ]] || fail "--json does not count one failure"
check ip netns exec "$a" nft delete table inet doctortest

log "strict rp_filter, with packets from a source A does not route back through the tunnel"
check ip netns exec "$a" sysctl -qw "net.ipv4.conf.fou$port.rp_filter=1"
doctor_expect 0 "" # strict, but nothing dropped yet: a warning
grep -qE '^  warn +rp_filter ' <<<"$out" || fail "strict rp_filter is not a warning"
check ip -n "$b" addr add 10.46.9.9/32 dev lo
in_ns "$b" ping -n -c 3 -i 0.2 -W 1 -I 10.46.9.9 172.30.46.1 >/dev/null &&
    fail "strict rp_filter let a packet from an unrouted source through"
doctor_expect 4 rp_filter
grep -q "IPReversePathFilter = [1-9]" <<<"$out" || fail "the rp_filter finding does not show the counter"
grep -q "fix: sysctl -w net.ipv4.conf.fou$port.rp_filter=2" <<<"$out" || fail "no rp_filter fix"
check ip netns exec "$a" sysctl -qw "net.ipv4.conf.fou$port.rp_filter=2"
in_ns "$b" ping -n -c 1 -W 2 -I 10.46.9.9 172.30.46.1 >/dev/null &&
    fail "loose rp_filter let a packet from a source without any route through"
check ip netns exec "$a" sysctl -qw "net.ipv4.conf.fou$port.rp_filter=0"

log "an underlay MTU too small for the tunnel"
check ip -n "$a" link set ul0 mtu 1200
doctor_expect 4 mtu
grep -q "1472 + 28 headers = 1500 > 1200; 1172 would fit" <<<"$out" || fail "the MTU finding does not say what fits"
check ip -n "$a" link set ul0 mtu 1500

log "no route to the peer"
check ip -n "$a" addr del 192.168.146.1/24 dev ul0
doctor_expect 4 route
grep -q "no route to the peer 192.168.146.2" <<<"$out" || fail "the route finding does not name the peer"
check ip -n "$a" addr add 192.168.146.1/24 dev ul0

log "mended: exit 0 again, and the tunnel carries"
doctor_expect 0 ""
ping_all "$a" 172.30.46.2
