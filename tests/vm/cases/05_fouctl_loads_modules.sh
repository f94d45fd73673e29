#!/bin/bash
# fouctl loads fou and ipip itself (libkmod, no modprobe process): with both modules
# unloaded, `fouctl up --mode kernel` must succeed and leave them loaded.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

rmmod fou 2>/dev/null || true
rmmod ipip 2>/dev/null || true
rmmod tunnel4 2>/dev/null || true
[[ ! -e /sys/module/fou && ! -e /sys/module/ipip ]] || skip "fou/ipip could not be unloaded first"
# No modprobe may run: hide the kernel's usermode helper path so that only libkmod can load.
echo /nonexistent >/proc/sys/kernel/modprobe
on_exit sh -c 'echo /sbin/modprobe >/proc/sys/kernel/modprobe'
netns_add mods
check in_ns mods fouctl up 2001 2002 10.0.2.2 --mode kernel
[[ -e /sys/module/fou && -e /sys/module/ipip ]] || fail "fouctl did not load fou and ipip"
check in_ns mods fouctl down 2001
