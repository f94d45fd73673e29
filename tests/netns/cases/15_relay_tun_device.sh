#!/bin/bash
# The ttun seed: a persistent TUN device made by root for a user (`ip tuntap add ... user
# nobody`), addressed by hand; the relay then runs as that user without root
# (--tun-device). The device and its addresses outlive the relay.
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
# as_nobody NS CMD...: runs CMD in NS as nobody. Debian's udev makes /dev/net/tun 0666;
# where this host has it 0600, the command gets a private mount namespace in which a
# 0666 node of the same device is bound over it (the host's node is not changed).
node=/dev/net/tun
if [[ $(stat -c %a /dev/net/tun) != 666 ]]; then
    node=$(mktemp -d)/tun
    mknod -m 666 "$node" c 10 200
    log "/dev/net/tun is $(stat -c %a /dev/net/tun) here; using a 0666 node in a private mount namespace"
fi
as_nobody() {
    local ns=$1
    shift
    ip netns exec "$ns" unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' "$node" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
# The relay's control socket lives in the user's runtime directory.
user_rundir "$(id -u nobody)"
a=${FOUCTL_TEST_ID:-fx}ta b=${FOUCTL_TEST_ID:-fx}tb
netns_add "$a"
netns_add "$b"
veth_pair "$a" ul0 192.168.112.1/24 "$b" ul0 192.168.112.2/24
for side in "$a":10.63.0.1:192.168.112.1:192.168.112.2 "$b":10.63.0.2:192.168.112.2:192.168.112.1; do
    IFS=: read -r ns addr local peer <<<"$side"
    check ip -n "$ns" tuntap add dev tun0 mode tun user nobody
    check ip -n "$ns" addr add "$addr/24" dev tun0
    check ip -n "$ns" link set tun0 mtu 1400 up
    snapshot /tmp/"$ns".before "$ns"
    as_nobody "$ns" fouctl up 8000 8000 10.63.0.0/24 1400 --peer "$peer" --local "$local" \
        --tun-device tun0 2>/tmp/"$ns".up || fail "unprivileged up failed: $(cat /tmp/"$ns".up)"
    cat /tmp/"$ns".up
done
ping_all "$a" 10.63.0.2
st=$(in_ns "$a" fouctl status --json)
[[ $(jq -r '.tunnels[0].relay.tun_device' <<<"$st") == tun0 ]] || fail "status: tun_device"
pid=$(jq '.tunnels[0].relay.pid' <<<"$st")
[[ $(ps -o user= -p "$pid") == nobody ]] || fail "relay runs as $(ps -o user= -p "$pid")"
log "down as the user; the device stays, as it was"
for ns in "$a" "$b"; do
    check as_nobody "$ns" fouctl down tun0
    # The kernel reports the lost carrier through linkwatch, up to a second later.
    for ((i = 0; i < 30; i++)); do
        [[ $(ip -n "$ns" -o link show tun0) == *NO-CARRIER* ]] && break
        sleep 0.1
    done
    snapshot /tmp/"$ns".after "$ns"
    # The kernel's own IPv6 setup when tun0 first gets carrier (addrgenmode, ff00::/8)
    # is not fouctl's doing; everything else must be as before.
    for f in /tmp/"$ns".before /tmp/"$ns".after; do
        sed -i -E -e 's/addrgenmode [a-z0-9_]+ //' -e '/^multicast ff00::\/8 dev tun0 /d' "$f"
    done
    same_snapshot /tmp/"$ns".before /tmp/"$ns".after
done

log "unprivileged mistakes are named before anything is made"
snapshot /tmp/"$a".before "$a"
expect_fail 2 as_nobody "$a" fouctl up 8001 8001 10.63.0.2 --peer 192.168.112.2 --mode userspace
expect_stderr_contains "making a TUN device for the relay needs root"
expect_stderr_contains "use --tun-device with a TUN device made for you"
[[ $LAST_ERR != *"ip tuntap add dev fou8001"* ]] || fail "the refused up echoed a step"
expect_fail 2 as_nobody "$a" fouctl up 8000 8000 10.64.0.0/24 --peer 192.168.112.2 \
    --local 192.168.112.1 --tun-device tun0
expect_stderr_contains "REMOTE 10.64.0.0/24 is not routed into 'tun0'"
expect_stderr_contains "an address whose subnet covers 10.64.0.0/24"
snapshot /tmp/"$a".after "$a"
same_snapshot /tmp/"$a".before /tmp/"$a".after
log "a REMOTE inside the device's subnet needs no route of its own"
check as_nobody "$a" fouctl -q up 8000 8000 10.63.0.2 1400 --peer 192.168.112.2 \
    --local 192.168.112.1 --tun-device tun0
check as_nobody "$b" fouctl -q up 8000 8000 10.63.0.1 1400 --peer 192.168.112.1 \
    --local 192.168.112.2 --tun-device tun0
ping_all "$a" 10.63.0.2
check as_nobody "$a" fouctl -q down tun0
check as_nobody "$b" fouctl -q down tun0
