#!/bin/bash
# tx checksum offload of kernel tunnels: off only where a userspace program on this host
# reads the FOU payload (the seed's custom link on loopback), on otherwise; --offload
# overrides it, status shows it, and an up with another setting is refused.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules
offload_of() { in_ns "$1" fouctl status --json | jq -r --arg n "$2" '.tunnels[] | select(.name == $n) | .offload'; }
tx_csum() { ip netns exec "$1" ethtool -k "$2" | awk '$1 == "tx-checksumming:" { print $2 }'; }

log "the seed's loopback custom link, fouctl on both sides: offload off, TCP works"
netns_add alice
netns_add bob
veth_pair alice ul0 192.168.77.1/24 bob ul0 192.168.77.2/24
check ip -n alice addr add 10.0.1.2/32 dev lo
check ip -n bob addr add 10.0.2.2/32 dev lo
custom_link alice 192.168.77.1 192.168.77.2
custom_link bob 192.168.77.2 192.168.77.1
check in_ns alice fouctl up 2001 2002 10.0.2.2 1400 --mode kernel
check in_ns bob fouctl up 2001 2002 10.0.1.2 1400 --mode kernel
[[ $(offload_of alice fou2001) == off && $(tx_csum alice fou2001) == off ]] ||
    fail "loopback tunnel: offload $(offload_of alice fou2001), ethtool $(tx_csum alice fou2001)"
check dd if=/dev/urandom of=/tmp/in bs=1k count=512 status=none
ip netns exec bob timeout 60 socat -u TCP-LISTEN:9001,bind=10.0.2.2,reuseaddr CREATE:/tmp/out &
sink=$!
on_exit kill "$sink"
wait_tcp_port bob 9001
check in_ns alice timeout 60 socat -u OPEN:/tmp/in TCP:10.0.2.2:9001,bind=10.0.1.2
wait "$sink" || fail "the receiving socat failed"
[[ $(sha256sum </tmp/in) == "$(sha256sum </tmp/out)" ]] || fail "TCP over the custom link: checksums differ"
echo "512 KiB over TCP through the custom link, sha256 matches"
check in_ns alice fouctl -q down 2001
check in_ns bob fouctl -q down 2001

log "a veth underlay: offload stays on; --offload off and on are honoured"
netns_add hosta
netns_add hostb
veth_pair hosta ul0 192.168.78.1/24 hostb ul0 192.168.78.2/24
check in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 --address 10.10.0.1
[[ $(offload_of hosta fou5555) == on && $(tx_csum hosta fou5555) == on ]] ||
    fail "veth tunnel: offload $(offload_of hosta fou5555), ethtool $(tx_csum hosta fou5555)"
check in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 --address 10.10.0.1
expect_fail 1 in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 \
    --address 10.10.0.1 --offload off
expect_stderr_contains "tx checksum offload is on, not off"
check in_ns hosta fouctl -q down 5555
check in_ns hosta fouctl up 5555 5555 10.10.0.2 --peer 192.168.78.2 --local 192.168.78.1 --offload off 2>/tmp/up.err
grep -q "ethtool -K fou5555 tx off" /tmp/up.err || fail "up --offload off did not say so: $(cat /tmp/up.err)"
[[ $(tx_csum hosta fou5555) == off ]] || fail "--offload off: ethtool says $(tx_csum hosta fou5555)"
check in_ns hosta fouctl -q down 5555
expect_fail 2 in_ns hosta fouctl up 5555 5555 10.10.0.2 --offload maybe
expect_stderr_contains "offload must be auto, on or off, not 'maybe'"
