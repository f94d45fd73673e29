#!/bin/bash
# The guest kernel can do FOU: a FOU port and an ipip tunnel with FOU
# encapsulation can be made, listed and removed with plain iproute2.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

ns=fou$$
netns_add "$ns"

# The fou module has no autoload alias; ipip loads itself on RTM_NEWLINK.
check modprobe fou

log "FOU port 5555 (ipproto 4)"
check ip -n "$ns" fou add port 5555 ipproto 4
out=$(ip -n "$ns" fou show)
echo "$out"
grep -qx 'port 5555 ipproto 4' <<<"$out" || fail "ip fou show does not list port 5555: $out"

log "ipip link t1 with FOU encapsulation"
check ip -n "$ns" link add t1 type ipip remote 127.0.0.1 local 127.0.0.1 \
    encap fou encap-sport auto encap-dport 5556
out=$(ip -n "$ns" -d link show t1)
echo "$out"
grep -q 'encap fou encap-sport auto encap-dport 5556' <<<"$out" ||
    fail "t1 lacks 'encap fou': $out"

log "delete both"
check ip -n "$ns" link del t1
check ip -n "$ns" fou del port 5555
[[ -z $(ip -n "$ns" fou show) ]] || fail "FOU port still listed after delete"
if ip -n "$ns" link show t1 >/dev/null 2>&1; then fail "t1 still exists after delete"; fi
