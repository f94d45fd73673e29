#!/bin/bash
# The benchmark runs as its usage documents it (tests/bench/relay-bench -b BUILD_DIR --quick
# --only ROWS --json FILE): exit 0 and a number for every measure of every row asked for.
# It judges no number: this only proves the script works (see tests/bench/README.md).
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

repo=$(cd "$(dirname "$0")/../../.." && pwd)
build=$(dirname "$(command -v fouctl)")
json=$(mktemp)
on_exit rm -f "$json"
rc=0
"$repo"/tests/bench/relay-bench -b "$build" --quick --only veth,bpf,fouctl --json "$json" >/dev/null 2>&1 || rc=$?
((rc != 77)) || skip "relay-bench lacks a prerequisite (iperf3, ...)"
((rc == 0)) || fail "relay-bench exited $rc"
for row in veth bpf fouctl; do
    err=$(jq -r --arg r "$row" '.rows[$r].error // empty' "$json")
    [[ -z $err ]] || fail "row $row: $err"
    for m in tcp1_mbps tcp4_mbps udp_kpps rtt_median_ms; do
        v=$(jq -r --arg r "$row" --arg m "$m" '[.rows[$r].reps[][$m] | numbers] | length' "$json")
        ((v > 0)) || fail "row $row has no $m: $(jq -c --arg r "$row" '.rows[$r]' "$json" | head -c 400)"
    done
done
[[ $(jq -r '.target | type' "$json") != null ]] || fail "no target line in the JSON"
