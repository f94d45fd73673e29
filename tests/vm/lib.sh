# shellcheck shell=bash
# Helpers for VM test cases (tests/vm/cases/*.sh), sourced inside the guest:
#
#   #!/bin/bash
#   . "$(dirname "$0")/../lib.sh"
#
# Sourcing turns on `set -Eeuo pipefail`, installs an ERR trap that reports
# the failing command, and an EXIT trap that runs the registered cleanups in
# reverse order.  Exit codes: 0 pass, 1 fail, 77 skip.  The reason of a fail
# or skip goes to stderr and to $VMTEST_RESULT (read by the guest init).
#
# fail/skip exit the current shell: do not call them inside $(...).

set -Eeuo pipefail

LAST_ERR=''           # stderr of the last expect_fail
_CLEANUPS=()          # commands run by _run_cleanups, last registered first

# _report KIND TEXT: prints KIND: TEXT and records TEXT as the reason.
_report() {
    echo "$1: $2" >&2
    if [[ -n ${VMTEST_RESULT:-} ]]; then printf '%s\n' "$2" >"$VMTEST_RESULT"; fi
}

# fail MSG...: fails the case with MSG.
fail() {
    trap - ERR
    _report FAIL "$*"
    exit 1
}

# skip MSG...: skips the case (a missing prerequisite) with MSG.
skip() {
    trap - ERR
    _report SKIP "$*"
    exit 77
}

# Any unchecked command that fails under set -e names itself.
trap 'fail "line $LINENO: \`$BASH_COMMAND\` exited $?"' ERR

# on_exit CMD [ARG...]: registers a cleanup command, run when the case exits.
on_exit() {
    _CLEANUPS+=("$(printf '%q ' "$@")")
}

_run_cleanups() {
    local i
    trap - ERR
    set +e
    for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_CLEANUPS[i]}" >/dev/null 2>&1
    done
}
trap _run_cleanups EXIT

# log MSG...: prints a progress line.
log() {
    echo "--- $*"
}

# check CMD [ARG...]: runs CMD; fails the case with the command line if it
# exits non-zero.
check() {
    local rc=0
    "$@" || rc=$?
    ((rc == 0)) || fail "command exited $rc: $*"
}

# expect_fail CODE CMD [ARG...]: runs CMD, requires exit code CODE; its
# stderr is echoed and kept in $LAST_ERR.
expect_fail() {
    local want=$1 rc=0 errf
    shift
    errf=$(mktemp)
    "$@" 2>"$errf" || rc=$?
    LAST_ERR=$(cat "$errf")
    rm -f "$errf"
    [[ -z $LAST_ERR ]] || printf '%s\n' "$LAST_ERR" >&2
    ((rc == want)) || fail "expected exit $want, got $rc: $*"
}

# expect_stderr_contains TEXT: requires TEXT in the last expect_fail's stderr.
expect_stderr_contains() {
    [[ $LAST_ERR == *"$1"* ]] ||
        fail "stderr lacks '$1'; it was: ${LAST_ERR:-<empty>}"
}

# netns_add NAME: creates network namespace NAME with lo up; it is deleted
# when the case exits.
netns_add() {
    ip netns add "$1" || fail "cannot create netns '$1'"
    # Deleting a namespace does not end its processes (a relay would keep it alive).
    on_exit sh -c 'ip netns pids "$1" | xargs -r kill -9; ip netns delete "$1"' _ "$1"
    ip -n "$1" link set lo up
}

# veth_pair NS1 IF1 ADDR1 NS2 IF2 ADDR2: joins NS1 and NS2 with a veth pair,
# gives each end its address (with prefix, e.g. 192.168.77.1/24) and sets
# both up.
veth_pair() {
    ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
    ip -n "$1" addr add "$3" dev "$2"
    ip -n "$4" addr add "$6" dev "$5"
    ip -n "$1" link set "$2" up
    ip -n "$4" link set "$5" up
    # Wait (at most 5 s) for carrier on both ends, so snapshots taken next are stable.
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $(ip -n "$1" -o link show "$2") == *"state UP"* &&
            $(ip -n "$4" -o link show "$5") == *"state UP"* ]] && return 0
        sleep 0.1
    done
    fail "veth $2/$5 did not come up"
}

# in_ns NS CMD [ARG...]: runs CMD inside NS.  To start a background process
# whose $! you need, use `ip netns exec NS CMD &` directly.
in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@"
}

# snapshot FILE [NETNS]: writes links, FOU ports, routes and addresses of
# NETNS (default: the current namespace) to FILE, without counters,
# lifetimes or other fields that change on their own. IPv6 link-local
# addresses and routes are left out: the kernel adds them a moment after a
# link comes up, whatever the test does. Call load_tunnel_modules first:
# loading ipip adds a tunl0 device to every namespace.
snapshot() {
    local file=$1
    local -a ipn=(ip)
    [[ -n ${2:-} ]] && ipn=(ip -n "$2")
    {
        echo '## links'
        "${ipn[@]}" -d link show
        echo '## fou'
        "${ipn[@]}" fou show 2>/dev/null || echo "(fou module not loaded)"
        echo '## routes (IPv4 and IPv6, all tables)'
        "${ipn[@]}" route show table all
        echo '## addresses'
        "${ipn[@]}" addr show
    } | sed -E -e '/^ +valid_lft /d' -e 's/ expires [0-9]+sec//' \
            -e 's/ (tentative|dadfailed)//g' -e '/fe80::/d' >"$file"
}

# load_tunnel_modules: loads fou and ipip the way a host running fouctl has them.
load_tunnel_modules() {
    { modprobe fou && modprobe ipip; } || fail "cannot load the fou and ipip modules"
}

# same_snapshot A B: fails with the diff if snapshots A and B differ.
same_snapshot() {
    local d
    d=$(diff -u "$1" "$2") && return 0
    printf '%s\n' "$d" >&2
    fail "snapshots '$1' and '$2' differ"
}

# wait_udp_port NS PORT: waits (at most 5 s) until a UDP socket is bound to
# PORT inside NS.
wait_udp_port() { _wait_port udp "$@"; }

# wait_tcp_port NS PORT: the same for a TCP listener.
wait_tcp_port() { _wait_port tcp "$@"; }
# wait_tcp6_port NS PORT: the same for an IPv6 listener (/proc/net/tcp6).
wait_tcp6_port() { _wait_port tcp6 "$@"; }

_wait_port() {
    local proto=$1 ns=$2 port=$3 pattern i
    # The local port; for TCP also state 0A (LISTEN): a socket that is bound but not yet
    # listening shows the port already, and a connect() to it is refused.
    pattern=$(printf ':%04X ' "$port")
    [[ $proto == tcp* ]] && pattern+='[0-9A-F]+:0000 0A '
    for ((i = 0; i < 50; i++)); do
        in_ns "$ns" cat "/proc/net/$proto" | grep -qE "$pattern" && return 0
        sleep 0.1
    done
    fail "nothing listens on ${proto^^} port $port in netns '$ns'"
}

# custom_link NS LOCAL_UNDERLAY REMOTE_UNDERLAY [TX_PORT [RX_PORT [WIRE_PORT]]]
#
# The seed's "custom link": a point-to-point datagram link built from two
# socat relays inside NS.  Whatever a local tunnel sends to
# 127.0.0.1:TX_PORT (default 2002) travels over the underlay to
# REMOTE_UNDERLAY:WIRE_PORT (default 3000); whatever arrives on
# LOCAL_UNDERLAY:WIRE_PORT is handed to 127.0.0.1:RX_PORT (default 2001),
# the local FOU port.  Run it in both namespaces with the addresses swapped.
#
# Each UDP read is one datagram and socat writes each read as one datagram,
# so packet boundaries survive; -b 65536 keeps every datagram whole.  The
# relays live at most $LINK_LIFETIME seconds (default 300) and are killed
# when the case exits.
custom_link() {
    local ns=$1 local_ul=$2 remote_ul=$3
    local tx=${4:-2002} rx=${5:-2001} wire=${6:-3000}
    local life=${LINK_LIFETIME:-300}
    # Not via in_ns: $! must be the process that becomes timeout, not a
    # subshell, so that killing it stops socat.
    ip netns exec "$ns" timeout "$life" socat -u -b 65536 \
        "UDP-RECV:$tx,bind=127.0.0.1" "UDP-SENDTO:$remote_ul:$wire" &
    on_exit kill "$!"
    ip netns exec "$ns" timeout "$life" socat -u -b 65536 \
        "UDP-RECV:$wire,bind=$local_ul" "UDP-SENDTO:127.0.0.1:$rx" &
    on_exit kill "$!"
    wait_udp_port "$ns" "$tx"
    wait_udp_port "$ns" "$wire"
}

# ping_all NS ADDR [PING_ARGS...]: pings ADDR from NS (default -c 3 -i 0.2 -W 2: three
# echoes 0.2 s apart, as root may; ping's default second between them made pings most of
# some cases' time) and fails unless every echo is answered.
ping_all() {
    local ns=$1 addr=$2 out rc=0
    shift 2
    (($#)) || set -- -c 3 -i 0.2 -W 2
    out=$(in_ns "$ns" ping -n "$@" "$addr" 2>&1) || rc=$?
    printf '%s\n' "$out"
    if ((rc != 0)) || [[ $out != *" 0% packet loss"* ]]; then
        fail "ping $* $addr from '$ns' lost packets (exit $rc)"
    fi
}

# fouctl_rundir NS: root's runtime directory for namespace NS (fouctl(8), FILES): named
# after the device and inode of the namespace.
fouctl_rundir() {
    echo "/run/fouctl/ns/$(ip netns exec "$1" stat -L -c '%D-%i' /proc/self/ns/net)"
}

# relay_uid_ok UID: the uid a root-started relay must run as: the _fouctl system user if
# it exists, else an account-less uid of systemd's dynamic range (never nobody or root).
relay_uid_ok() {
    local want
    if want=$(getent passwd _fouctl | cut -d: -f3) && [[ -n $want ]]; then
        [[ $1 == "$want" ]]
    else
        ((${1} >= 61184 && ${1} <= 65519)) && ! getent passwd "$1" >/dev/null
    fi
}

# user_rundir UID: makes /run/user/UID as a login session would (if missing), removing
# it again at exit; the unprivileged relay keeps its control socket there.
user_rundir() {
    local dir=/run/user/$1
    [[ -d $dir ]] && return 0
    install -d -m 0755 /run/user
    install -d -m 0700 -o "$1" "$dir"
    on_exit rm -rf "$dir"
}

# tcp_each_way NS_A ADDR_A NS_B ADDR_B [MIB]: sends MIB (default 4) MiB of random data over
# TCP from NS_A to ADDR_B and from NS_B to ADDR_A, and fails unless each arrives with the
# same sha256. The addresses may be IPv4 or IPv6.
tcp_each_way() {
    local mib=${5:-4} want dir from to addr sink tcp host
    check dd if=/dev/urandom of=/tmp/in bs=1M count="$mib" status=none
    want=$(sha256sum </tmp/in)
    for dir in "$1 $3 $4" "$3 $1 $2"; do
        read -r from to addr <<<"$dir"
        tcp=TCP host=$addr
        [[ $addr == *:* ]] && tcp=TCP6 host="[$addr]"
        rm -f /tmp/out
        ip netns exec "$to" timeout 60 socat -u "$tcp-LISTEN:9000,bind=$host,reuseaddr" CREATE:/tmp/out &
        sink=$!
        on_exit kill "$sink"
        if [[ $tcp == TCP6 ]]; then wait_tcp6_port "$to" 9000; else wait_tcp_port "$to" 9000; fi
        check in_ns "$from" timeout 60 socat -u OPEN:/tmp/in "$tcp:$host:9000"
        wait "$sink" || fail "the receiving socat in $to failed"
        [[ $(sha256sum </tmp/out) == "$want" ]] || fail "$from -> $to: checksums differ"
        echo "$from -> $to: $mib MiB, sha256 matches"
    done
}
