#!/bin/bash
# Bad input and failure injection: each gives a clear message and a non-zero exit
# code, and changes nothing (the namespace's links, FOU ports, routes and addresses are
# compared before and after every attempt).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
load_tunnel_modules

netns_add bad
snapshot /tmp/before bad

unchanged() {
    snapshot /tmp/after bad
    same_snapshot /tmp/before /tmp/after
}

# refused CODE TEXT ARGS...: fouctl ARGS must exit CODE, say TEXT, and change nothing.
refused() {
    local code=$1 text=$2
    shift 2
    expect_fail "$code" in_ns bad fouctl "$@"
    echo "fouctl $*  ->  exit $code: $LAST_ERR"
    expect_stderr_contains "$text"
    unchanged
}

log "usage errors: exit 2"
refused 2 "RX_PORT '0'" up 0 2002 10.0.2.2
refused 2 "RX_PORT '65536'" up 65536 2002 10.0.2.2
refused 2 "TX_PORT 'http'" up 2001 http 10.0.2.2
refused 2 "'10.0.2.256' is not an IPv4 or IPv6 address" up 2001 2002 10.0.2.256
refused 2 "host bits" up 2001 2002 10.0.2.1/24
refused 2 "MTU '67'" up 2001 2002 10.0.2.2 67
refused 2 "MTU '-5'" up 2001 2002 10.0.2.2 -5
refused 2 "--peer" up 2001 2002 10.0.2.2 --peer 300.1.1.1
refused 2 "--local" up 2001 2002 10.0.2.2 --local nonsense
refused 2 "device name" up 2001 2002 10.0.2.2 --name "bad/name"
refused 2 "mode 'turbo'" up 2001 2002 10.0.2.2 --mode turbo
refused 2 "" frobnicate 2001
refused 2 "no command" 
refused 2 "RX_PORT '70000'" down 70000

log "conflicts: exit 1, nothing changed"
# A program holds UDP port 2001: the FOU port cannot open, and the device fouctl
# created just before must be rolled back.
ip netns exec bad timeout 60 socat -u UDP-RECV:2001 OPEN:/dev/null &
on_exit kill "$!"
wait_udp_port bad 2001
snapshot /tmp/before bad
refused 1 "UDP port 2001" up 2001 2002 10.0.2.2 --mode kernel

# A foreign device with the requested name.
check ip -n bad link add fou2003 type ipip remote 192.0.2.1 local 192.0.2.2
snapshot /tmp/before bad
refused 1 "device 'fou2003' exists and was not made by fouctl" up 2003 2004 10.0.3.3
refused 1 "not made by fouctl" down fou2003

# A FOU port opened with 'ip fou add'.
check ip -n bad fou add port 2005 ipproto 4
snapshot /tmp/before bad
refused 1 "FOU port 2005 is already open" up 2005 2006 10.0.5.5

# A route fouctl did not make.
check ip -n bad route add 10.0.7.0/24 dev lo
snapshot /tmp/before bad
refused 1 "a route to 10.0.7.0/24 already exists" up 2007 2008 10.0.7.0/24

# Two tunnels with the same outer addresses (the kernel could not tell them apart).
check in_ns bad fouctl -q up 2009 2010 10.0.9.9 --peer 192.0.2.50 --local 192.0.2.51
snapshot /tmp/before bad
refused 1 "outer addresses" up 2011 2012 10.0.11.11 --peer 192.0.2.50 --local 192.0.2.51
# The same name (or port) with other settings.
refused 1 "other settings: MTU is 1472, not 1400" up 2009 2010 10.0.9.9 1400 --peer 192.0.2.50 --local 192.0.2.51
refused 1 "receive port 2009 belongs to fouctl tunnel 'fou2009'" up 2009 2010 10.0.9.9 --name other --peer 192.0.2.60
check in_ns bad fouctl -q down 2009
