#!/bin/bash
# case-timeout: 240
# Scale (a measurement, not a timed test): 100 kernel tunnels from a generated config,
# applied and re-applied, against creating the same objects with `ip -batch`, all in one
# run. Prints netlink requests and system calls per tunnel (the primary figures: they do
# not depend on the emulator), then wall times and ratios. Asserts that the result is
# right and that fouctl sends no more requests than ip -batch, and none per tunnel when
# there is nothing to do; wall times are printed only.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

n=100
netns_add scale
netns_add batch
{
    echo '{"version": 1, "tunnels": ['
    for ((i = 0; i < n; i++)); do
        ((i)) && echo ','
        printf '{"name": "s%d", "rx_port": %d, "tx_port": %d, "peer": "192.0.2.1", "local": "198.51.100.%d", "routes": ["10.%d.%d.0/24"], "mtu": 1472}' \
            "$i" $((30000 + 2 * i)) $((30001 + 2 * i)) $((i + 1)) $((100 + i / 200)) $((i % 200))
    done
    echo ']}'
} >/tmp/scale.json # "mtu" as the batch gives it: no route lookup for an MTU from the underlay
{
    for ((i = 0; i < n; i++)); do
        echo "link add name s$i mtu 1472 type ipip local 198.51.100.$((i + 1)) remote 192.0.2.1 ttl 64 encap fou encap-sport auto encap-dport $((30001 + 2 * i))"
        echo "link set dev s$i up"
        echo "fou add port $((30000 + 2 * i)) ipproto 4"
        echo "route add 10.$((100 + i / 200)).$((i % 200)).0/24 dev s$i proto 252 scope link"
    done
} >/tmp/scale.batch

{
    for ((i = 0; i < n; i++)); do
        echo "link del dev s$i"
        echo "fou del port $((30000 + 2 * i))"
    done
} >/tmp/scale.unbatch

# elapsed CMD...: runs CMD, prints its wall time in seconds. It first lets the guest
# settle for a moment: deleting 100 devices leaves RCU and workqueue work running on in the
# background, which would otherwise land in whichever command is timed next.
elapsed() {
    sleep 0.5
    local a=$EPOCHREALTIME
    "$@" >/dev/null 2>&1 || fail "failed: $*"
    awk -v a="$a" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'
}
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# measure LABEL: one warm-up round (first use of the code paths) and 5 counted ones. Each
# round times ip -batch, apply, the no-op re-apply and `fouctl --version`; the ratios are
# taken within a round, and the medians over the rounds are printed. Both tools get the
# namespace the same way (setns on /run/netns/NAME, no `ip netns exec`).
measure() {
    local label=$1 rounds=5 round b a r f
    local batch=() apply=() noop=() floor=() r_apply=() r_noop=()
    for ((round = 0; round <= rounds; round++)); do
        b=$(elapsed ip -n batch -batch /tmp/scale.batch)
        check ip -n batch -batch /tmp/scale.unbatch
        a=$(elapsed fouctl -n scale -q apply -c /tmp/scale.json)
        r=$(elapsed fouctl -n scale -q apply -c /tmp/scale.json)
        f=$(elapsed fouctl --version)
        echo "SCALE[$label]: round $round: ip -batch ${b}s, apply ${a}s, re-apply ${r}s," \
            "--version ${f}s; apply/batch $(ratio "$a" "$b"), re-apply/apply $(ratio "$r" "$a")"
        if ((round > 0)); then
            batch+=("$b") apply+=("$a") noop+=("$r") floor+=("$f")
            r_apply+=("$(ratio "$a" "$b")") r_noop+=("$(ratio "$r" "$a")")
        fi
        check fouctl -n scale -q down --all
    done
    b=$(median "${batch[@]}") a=$(median "${apply[@]}") r=$(median "${noop[@]}") f=$(median "${floor[@]}")
    echo "SCALE[$label]: $n tunnels, medians of $rounds rounds: ip -batch ${b}s, fouctl apply ${a}s," \
        "no-op re-apply ${r}s, 'fouctl --version' ${f}s"
    echo "SCALE[$label]: apply / ip -batch = $(median "${r_apply[@]}") (target <= 1.0)"
    echo "SCALE[$label]: re-apply / apply = $(median "${r_noop[@]}") (target <= 0.15);" \
        "process start alone is $(ratio "$f" "$a") of the apply"
}

# count LABEL CMD...: runs CMD once under `strace -f -c` and prints, per tunnel, its
# netlink requests (sendmsg/sendto: both tools send one message per call here, and nothing
# else sends in this guest), the datagrams it reads (recvmsg/recvfrom) and all its system
# calls. Unlike wall time under TCG, these counts do not depend on the emulator. Sets
# SENDS to the number of requests.
SENDS=0
count() {
    local label=$1 sums recvs ioctls total
    shift
    strace -f -qq -c -o /tmp/count.txt "$@" >/dev/null 2>&1 || fail "failed under strace: $*"
    sums=$(awk '
        $NF == "sendmsg" || $NF == "sendto" { s += $4 }
        $NF == "recvmsg" || $NF == "recvfrom" { r += $4 }
        $NF == "ioctl" { i += $4 }
        $NF == "total" { t = $4 }
        END { print s + 0, r + 0, i + 0, t + 0 }' /tmp/count.txt)
    read -r SENDS recvs ioctls total <<<"$sums"
    awk -v l="$label" -v n="$n" -v s="$SENDS" -v r="$recvs" -v i="$ioctls" -v t="$total" 'BEGIN {
        printf "COUNT: %-16s per tunnel: %5.2f netlink requests, %5.2f datagrams read, %5.2f ioctls, %6.2f system calls (run: %d, %d, %d, %d)\n",
            l, s / n, r / n, i / n, t / n, s, r, i, t }'
}

# The primary figures: requests and system calls, one run each.
count "ip -batch" ip -n batch -batch /tmp/scale.batch
batch_sends=$SENDS
check ip -n batch -batch /tmp/scale.unbatch
count "fouctl apply" fouctl -n scale -q apply -c /tmp/scale.json
apply_sends=$SENDS
count "no-op re-apply" fouctl -n scale -q apply -c /tmp/scale.json
noop_sends=$SENDS
check fouctl -n scale -q down --all
((apply_sends <= batch_sends)) ||
    fail "apply sent $apply_sends netlink requests for $n tunnels, ip -batch $batch_sends"
((noop_sends < n)) || fail "a no-op re-apply sent $noop_sends netlink requests for $n tunnels"

# Under TCG every new process translates the machine code it runs, and with address space
# randomisation (the default) no process can reuse another's translations: each fouctl
# start costs about 0.05 s more than on a CPU, where there is no translation. That cost
# falls on every command alike, so it weighs on the short no-op re-apply most. The figures
# are taken both ways, with randomisation first; it is switched off in this throwaway guest
# only and restored afterwards.
measure aslr
aslr=$(cat /proc/sys/kernel/randomize_va_space)
on_exit sh -c "echo $aslr >/proc/sys/kernel/randomize_va_space"
echo 0 >/proc/sys/kernel/randomize_va_space
measure no-aslr
echo "$aslr" >/proc/sys/kernel/randomize_va_space

# The result is right: all there, and a plan finds nothing to do.
check fouctl -n scale -q apply -c /tmp/scale.json
[[ $(fouctl -n scale status --json | jq '.tunnels | length') == "$n" ]] || fail "not $n tunnels"
[[ $(ip -n scale fou show | wc -l) == "$n" ]] || fail "not $n FOU ports"
[[ $(ip -n scale route show proto 252 | wc -l) == "$n" ]] || fail "not $n routes"
check fouctl -n scale plan -c /tmp/scale.json
check in_ns scale fouctl -q down --all
