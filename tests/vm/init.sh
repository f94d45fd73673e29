#!/bin/bash
# Guest /init for the VM test lane (runs as PID 1 inside QEMU).
#
# Mounts the pseudo file systems, runs each case listed in /tests/selected
# under a per-case timeout and reports on the serial console:
#   @@VMTEST-BEGIN <case>
#   ...the case's own output...
#   @@VMTEST <case> PASS|FAIL <reason>|SKIP <reason>
#   @@VMTEST-DONE
# then powers the VM off.  tests/vm/run parses exactly these markers.
# Case exit codes: 0 pass, 77 skip, anything else fail (124: timeout).

export PATH=/usr/sbin:/usr/bin:/usr/libexec/busybox
export HOME=/root TERM=dumb LANG=C LC_ALL=C

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /dev/pts /dev/shm /run/netns
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
hostname vmtest
ip link set lo up

# shellcheck source=/dev/null
. /tests/config    # VMTEST_CASE_TIMEOUT
echo "vmtest: kernel $(uname -r), $(nproc) cpus, case timeout ${VMTEST_CASE_TIMEOUT}s"

# Kills every process except PID 1 and kernel threads, and removes the
# namespaces a case left behind, so one case cannot disturb the next.
reset_guest() {
    local p pid
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [[ $pid == 1 || ! -s $p/cmdline ]] && continue
        kill -KILL "$pid" 2>/dev/null
    done
    ip -all netns delete 2>/dev/null
    return 0
}

# run_case NAME: runs /tests/cases/NAME.sh and prints its result marker.
run_case() {
    local name=$1 result=/tmp/vmtest-result.$1 rc=0 reason limit started=$SECONDS
    echo "@@VMTEST-BEGIN $name"
    rm -f "$result"
    # A case may ask for more time with a "# case-timeout: SECONDS" line.
    limit=$(sed -n 's/^# case-timeout: *\([0-9][0-9]*\)$/\1/p' "/tests/cases/$name.sh" | head -n1)
    limit=${limit:-$VMTEST_CASE_TIMEOUT}
    # GNU timeout puts the case in its own process group and kills the whole
    # group when time runs out (-k: SIGKILL 5 s after SIGTERM).
    VMTEST_CASE=$name VMTEST_RESULT=$result \
        timeout -k 5 "$limit" \
        bash "/tests/cases/$name.sh" </dev/null || rc=$?
    reason=$(head -c 300 "$result" 2>/dev/null | tr '\n' ' ')
    reason=${reason% }
    case $rc in
        0) echo "@@VMTEST $name PASS ($((SECONDS - started)) s)" ;;
        77) echo "@@VMTEST $name SKIP ${reason:-no reason given}" ;;
        124|137) echo "@@VMTEST $name FAIL timeout after ${limit}s" ;;
        *) echo "@@VMTEST $name FAIL ${reason:-exit code $rc}" ;;
    esac
    reset_guest
}

while read -r name; do
    [[ -n $name ]] && run_case "$name"
done </tests/selected
echo "@@VMTEST-DONE"
sync
poweroff -f
# poweroff -f does not return; if it did, exiting PID 1 panics and
# panic=-1 with -no-reboot ends QEMU anyway.
sleep 5
