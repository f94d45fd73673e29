#!/bin/bash
# The guest's test driver, fouctl-vmtest.service's ExecStart (systemd VM lane).
#
# Counts the boots in /var/lib/fouctl-vmtest/boot, runs this boot's checks
# (/opt/fouctl-vmtest/systemd/bootN/*.sh, name order, each under a timeout)
# and reports on the second serial port, ttyS1:
#   @@VMTEST-BOOT N uptime ...
#   @@VMTEST-BEGIN <check>
#   ...the check's output...
#   @@VMTEST <check> PASS [note] | FAIL <reason> | SKIP <reason>
#   @@VMTEST-DONE N
# then reboots after boot 1 and powers off after boot 2 (QEMU runs with
# -no-reboot, so both end it).  Check exit codes: 0 pass, 77 skip, else fail.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C LC_ALL=C SYSTEMD_PAGER='' SYSTEMD_COLORS=0

base=/opt/fouctl-vmtest
state=/var/lib/fouctl-vmtest
exec >/dev/ttyS1 2>&1
stty -F /dev/ttyS1 -onlcr 2>/dev/null

# shellcheck source=/dev/null
. "$base/config"    # VMTEST_CASE_TIMEOUT, VMTEST_MAX_EXPOSURE, VMTEST_DELIVERY
export VMTEST_MAX_EXPOSURE VMTEST_DELIVERY

mkdir -p "$state"
boot=$(($(cat "$state/boot" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$state/boot"
sync

finish() {
    echo "@@VMTEST-DONE $boot"
    sync
    if ((boot == 1)); then
        systemctl --no-block reboot
    else
        systemctl --no-block poweroff
    fi
    exit 0
}

up=$(cut -d' ' -f1 /proc/uptime)
fouctl_at=$(systemctl show -p ExecMainExitTimestampMonotonic --value fouctl.service 2>/dev/null)
echo "@@VMTEST-BOOT $boot: test driver started ${up%.*}s after the kernel;" \
    "fouctl.service done at $((${fouctl_at:-0} / 1000000))s ($(systemctl is-active fouctl.service))"
[[ -d $base/systemd/boot$boot ]] || finish

# run_check FILE: runs one check and prints its markers.
run_check() {
    local file=$1 name rc=0 reason note t=$SECONDS
    name=${file##*/}
    name=${name%.sh}
    local result=/run/vmtest-result.$name notef=/run/vmtest-note.$name
    rm -f "$result" "$notef"
    echo "@@VMTEST-BEGIN $name"
    VMTEST_CASE=$name VMTEST_RESULT=$result VMTEST_NOTE=$notef \
        timeout -k 5 "$VMTEST_CASE_TIMEOUT" bash "$file" </dev/null || rc=$?
    echo "--- $name took $((SECONDS - t))s"
    reason=$(head -c 300 "$result" 2>/dev/null | tr '\n' ' ')
    reason=${reason% }
    note=$(head -c 300 "$notef" 2>/dev/null | tr '\n' ' ')
    note=${note% }
    if ((rc != 0 && rc != 77)); then
        echo "--- diagnostics"
        systemctl --no-pager --full -n 0 status fouctl.service 'fouctl-relay@*' 2>&1
        journalctl -b --no-pager -o short-monotonic -u fouctl.service -u 'fouctl-relay@*' 2>&1 |
            tail -n 40
    fi
    case $rc in
        0) echo "@@VMTEST $name PASS${note:+ $note}" ;;
        77) echo "@@VMTEST $name SKIP ${reason:-no reason given}" ;;
        124|137) echo "@@VMTEST $name FAIL timeout after ${VMTEST_CASE_TIMEOUT}s" ;;
        *) echo "@@VMTEST $name FAIL ${reason:-exit code $rc}" ;;
    esac
}

for f in "$base/systemd/boot$boot"/*.sh; do
    [[ -e $f ]] && run_check "$f"
done
finish
