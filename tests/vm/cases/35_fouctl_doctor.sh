#!/bin/bash
# fouctl doctor's kernel-only checks on a real FOU kernel: a healthy kernel tunnel exits 0
# (modules loaded, FOU port open, offload on for a remote peer); tx checksum offload on
# with a loopback peer is a warning; a FOU port someone replaced with another protocol's,
# and a FOU port deleted by hand, fail the port check with exit 4; with the modules
# unloaded and hidden, a relay tunnel's report names the missing module and its CONFIG
# option, and with them present says they can be loaded. doctor changes nothing.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
tmp=$(mktemp -d)
on_exit rm -rf "$tmp"

# doctor_expect CODE NS [NAME]: `fouctl doctor` in NS exits CODE and changes nothing; its
# output is left in $out.
doctor_expect() {
    local want=$1 ns=$2 rc=0
    shift 2
    snapshot "$tmp/before" "$ns"
    out=$(in_ns "$ns" fouctl doctor "$@" 2>&1) || rc=$?
    printf '%s\n' "$out" | sed 's/^/    | /'
    snapshot "$tmp/after" "$ns"
    same_snapshot "$tmp/before" "$tmp/after"
    ((rc == want)) || fail "doctor exited $rc, not $want"
}

netns_add alice
netns_add bob
veth_pair alice ul0 192.168.135.1/24 bob ul0 192.168.135.2/24
on_exit in_ns alice fouctl -q down --all
on_exit in_ns bob fouctl -q down --all
check in_ns alice fouctl -q up 5555 5555 10.35.0.2 --peer 192.168.135.2 --address 10.35.0.1 --mode kernel
check in_ns bob fouctl -q up 5555 5555 10.35.0.1 --peer 192.168.135.1 --address 10.35.0.2 --mode kernel
ping_all alice 10.35.0.2

log "healthy kernel tunnel: exit 0"
doctor_expect 0 alice fou5555
grep -qE '^  ok +kernel +kernel FOU: fou loaded, ipip loaded' <<<"$out" || fail "modules not reported loaded"
grep -qE '^  ok +port +receive port 5555 is open' <<<"$out" || fail "the FOU port is not reported open"
grep -qE '^  ok +offload +tx checksum offload is on for a remote peer' <<<"$out" || fail "offload not reported"
grep -qE '^  ok +firewall ' <<<"$out" || fail "the firewall check did not pass"

log "not root: the kernel tunnel is still checked; the firewall cannot be read"
out=$(in_ns alice setpriv --reuid=65534 --regid=65534 --clear-groups fouctl doctor fou5555 2>&1) ||
    fail "doctor as nobody exited $?: $out"
printf '%s\n' "$out" | sed 's/^/    | /'
grep -qE '^  ok +route ' <<<"$out" && grep -qE '^  ok +mtu ' <<<"$out" ||
    fail "doctor as nobody did not check route and MTU"
grep -qE '^  warn +firewall +the firewall was not read' <<<"$out" || fail "doctor as nobody: firewall"

log "an nftables drop on the FOU port: the kernel tunnel carries nothing, doctor says why"
check ip netns exec alice nft add table ip doctortest
check ip netns exec alice nft add chain ip doctortest input '{ type filter hook input priority 0; }'
check ip netns exec alice nft add rule ip doctortest input ip saddr 192.168.135.0/24 udp dport 5555 drop
in_ns alice ping -n -c 1 -W 1 10.35.0.2 >/dev/null && fail "the drop rule did not stop the tunnel"
doctor_expect 4 alice
grep -qE '^  fail +firewall +netfilter drops UDP port 5555 from 192.168.135.2' <<<"$out" ||
    fail "the drop rule is not named"
check ip netns exec alice nft delete table ip doctortest
ping_all alice 10.35.0.2

log "offload on with a loopback peer: a warning, exit 0"
check in_ns alice fouctl -q up 2001 2002 10.35.9.0/24 1400 --mode kernel --offload on
doctor_expect 0 alice fou2001
grep -qE '^  warn +offload +tx checksum offload is on with a loopback peer' <<<"$out" ||
    fail "offload on with a loopback peer is not a warning"
grep -q 'fix: ethtool -K fou2001 tx off' <<<"$out" || fail "no ethtool fix"
check in_ns alice fouctl -q down 2001

log "a FOU port replaced by another owner's (ipproto 41): exit 4"
check ip -n alice fou del port 5555
check ip -n alice fou add port 5555 ipproto 41
doctor_expect 4 alice
grep -qE "^  fail +port +the FOU receive port 5555 is not this tunnel's" <<<"$out" || fail "the foreign port is not named"
grep -q 'found: ip fou add port 5555 ipproto 41' <<<"$out" || fail "the foreign port's settings are not shown"
check ip -n alice fou del port 5555
doctor_expect 4 alice
grep -qE '^  fail +port +the FOU receive port 5555 is not open' <<<"$out" || fail "a missing FOU port is not named"
check in_ns alice fouctl -q down --all
check in_ns bob fouctl -q down --all

log "modules unloaded: a relay tunnel's report says they can be loaded; hidden, that they are missing"
if ! modprobe -r fou6 fou ipip 2>"$tmp/rmmod" || [[ -e /sys/module/fou ]]; then
    log "SKIPPED this part: the fou module cannot be unloaded here: $(cat "$tmp/rmmod")"
else
    on_exit modprobe fou
    on_exit modprobe ipip
    check in_ns alice fouctl -q up 5555 5555 10.35.0.2 --peer 192.168.135.2 --address 10.35.0.1 --mode userspace
    doctor_expect 0 alice
    grep -qE "^  ok +kernel +the kernel could carry FOU \(fou loadable, ipip loadable\)" <<<"$out" ||
        fail "loadable modules not reported"
    out=$(unshare -m bash -c 'mount -t tmpfs none /lib/modules && /usr/sbin/ip netns exec alice fouctl doctor' 2>&1) || true
    printf '%s\n' "$out" | sed 's/^/    | /'
    grep -qE "^  warn +kernel +the kernel has no 'fou' module \(CONFIG_NET_FOU\)" <<<"$out" ||
        fail "hidden modules are not reported missing"
    [[ ! -e /sys/module/fou ]] || fail "doctor loaded the fou module"
fi
