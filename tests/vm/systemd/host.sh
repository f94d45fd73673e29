# shellcheck shell=bash
# Host side of the systemd VM lane, sourced by tests/vm/systemd/run after
# tests/vm/host.sh: prerequisites, the fouctl package, the kernel and rootfs
# caches, the disk image, the two boots and the report.
# sd_dir, repo, lane_start and lane_limit are set by run; _apt_updated by
# tests/vm/host.sh.
# shellcheck disable=SC2154

SUITE=${FOUCTL_VM_SUITE:-bookworm}
# What the guest needs besides fouctl's own dependencies.
SD_BASE_PKGS=(systemd systemd-sysv udev kmod iproute2 iputils-ping jq procps)

CHECKS=()              # check names, boot 1's then boot 2's (list_checks)
declare -A CHECK_BOOT=()
PHASES=()              # "name Ns" per host phase, for the summary
PAYLOAD_KIND=''        # deb | files (prepare_payload)
PAYLOAD_DEB=''
PAYLOAD_BIN=''
PAYLOAD_BIN_PATH=''    # where the units expect the binary (files mode)
PAYLOAD_UNITS=()
RUNTIME_PKGS=()
SD_KDIR=''             # kernel cache: vmlinuz, kver, modules/KVER
SD_KVER=''
ROOTFS_TAR=''

# --- reporting --------------------------------------------------------------

# die MSG: a broken lane; every check counts as failed.
die() {
    echo "vm-systemd: error: $*" >&2
    echo "vm-systemd: 0 passed, ${#CHECKS[@]} failed, 0 skipped"
    exit 1
}

# skip_all REASON: every check skipped, exit 0.
skip_all() {
    echo "vm-systemd: SKIP: $1"
    echo "vm-systemd: 0 passed, 0 failed, ${#CHECKS[@]} skipped"
    exit 0
}

# unavailable REASON: fails when this run may install, else skips.
unavailable() {
    may_install && die "$1"
    skip_all "$1 (as root, FOUCTL_VM_INSTALL=1 lets tests/vm/systemd/run fetch it)"
}

# list_checks: fills CHECKS and CHECK_BOOT from boot1/ and boot2/.
list_checks() {
    local n f c
    for n in 1 2; do
        for f in "$sd_dir/boot$n"/*.sh; do
            [[ -e $f ]] || continue
            c=${f##*/}
            c=${c%.sh}
            CHECKS+=("$c")
            CHECK_BOOT[$c]=$n
        done
    done
    ((${#CHECKS[@]})) || { echo "vm-systemd: no checks in $sd_dir/boot1 or boot2" >&2; exit 2; }
}

# budget WANT: WANT seconds, or what is left of the lane's limit if less.
budget() {
    local left=$((lane_limit - (SECONDS - lane_start)))
    ((left < $1)) && echo "$((left > 0 ? left : 0))" || echo "$1"
}

# phase NAME CMD...: runs CMD and records how long it took.
phase() {
    local name=$1 t=$SECONDS
    shift
    "$@"
    PHASES+=("$name $((SECONDS - t))s")
    echo "vm-systemd: $name: $((SECONDS - t))s"
}

# --- mounts left by an interrupted debootstrap --------------------------------

# umount_under DIR: lazily unmounts everything mounted below DIR.
umount_under() {
    local m
    command -v findmnt >/dev/null 2>&1 || return 0
    while IFS= read -r m; do
        umount -l "$m" 2>/dev/null || true
    done < <(findmnt -rn -o TARGET | awk -v p="$1/" 'index($0, p) == 1' | sort -r)
}

# Replaces tests/vm/host.sh's cleanup: never descend into a mount.
_cleanup_tmp() {
    local d
    for d in "${_TMPDIRS[@]}"; do
        umount_under "$d"
        rm -rf --one-file-system "$d"
    done
}

# --- prerequisites -----------------------------------------------------------

ensure_sd_tools() {
    [[ $(id -u) == 0 ]] || skip_all "needs root (debootstrap, chroot, file ownership in the image)"
    local -A pkg_of=(
        [qemu-system-x86_64]=qemu-system-x86 [debootstrap]=debootstrap
        [mkfs.ext4]=e2fsprogs [zstd]=zstd [tar]=tar [chroot]=coreutils
        [timeout]=coreutils [sha256sum]=coreutils [depmod]=kmod
        [dpkg-deb]=dpkg [apt-get]=apt [apt-cache]=apt [findmnt]=util-linux
    )
    local cmd missing=() pkgs=()
    for cmd in "${!pkg_of[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 && continue
        missing+=("$cmd")
        pkgs+=("${pkg_of[$cmd]}")
    done
    ((${#missing[@]} == 0)) && return 0
    may_install || unavailable "missing ${missing[*]} (Debian packages: ${pkgs[*]})"
    apt_update_once
    echo "vm-systemd: apt-get install ${pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
    for cmd in "${missing[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is still missing after apt-get install"
    done
}

# --- the fouctl package ---------------------------------------------------------

# deb_depends DEB: the packages DEB depends on (first alternatives).
deb_depends() {
    local f
    for f in Pre-Depends Depends; do
        dpkg-deb -f "$1" "$f"
        echo
    done | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g' |
        grep -v '^$' | grep -vx fouctl | sort -u
}

# lib_packages BINARY: the Debian packages holding BINARY's shared libraries.
lib_packages() {
    local lib p cand
    while read -r lib; do
        p=''
        for cand in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
            p=$(dpkg -S "$cand" 2>/dev/null | head -n1 | cut -d: -f1) && [[ -n $p ]] && break
        done
        [[ -n $p ]] || die "no Debian package holds $lib (needed by $1)"
        echo "$p"
    done < <(ldd "$1" | sed -nE 's@^\s*(\S+ => )?(/\S+) \(0x[0-9a-f]+\)$@\2@p') | sort -u
}

# prepare_payload BUILD WORK: the .deb from packaging/build-deb (or
# FOUCTL_VM_DEB), else the built binary plus packaging/systemd/*.service.
prepare_payload() {
    local build=$1 work=$2 deb=${FOUCTL_VM_DEB:-} log rc=0 u
    if [[ -z $deb && -x $repo/packaging/build-deb ]]; then
        log=$work/build-deb.log
        # --nocheck: the unit lane runs the unit tests; this lane tests the package.
        echo "vm-systemd: packaging/build-deb --nocheck -o $build/deb"
        timeout -k 5 "$(budget "${FOUCTL_VM_DEB_TIMEOUT:-480}")" "$repo/packaging/build-deb" \
            --nocheck -o "$build/deb" </dev/null >"$log" 2>&1 || rc=$?
        if ((rc != 0)); then
            tail -n 30 "$log" | sed 's/^/    | /'
            die "packaging/build-deb exited $rc"
        fi
        deb=$(tail -n1 "$log")
    fi
    if [[ -n $deb && $deb != none ]]; then
        [[ -f $deb ]] || die "no fouctl .deb at '$deb'"
        [[ $(dpkg-deb -f "$deb" Package) == fouctl ]] || die "'$deb' is not the fouctl package"
        PAYLOAD_KIND=deb
        PAYLOAD_DEB=$deb
        mapfile -t RUNTIME_PKGS < <(deb_depends "$deb")
        echo "vm-systemd: installing $deb ($(dpkg-deb -f "$deb" Version)); depends: ${RUNTIME_PKGS[*]:-none}"
        return 0
    fi

    # Fallback: by hand, as the package would.
    local units_dir=${FOUCTL_VM_UNITS_DIR:-$repo/packaging/systemd}
    PAYLOAD_BIN=$build/fouctl
    [[ -x $PAYLOAD_BIN ]] || die "'$PAYLOAD_BIN' is missing: build fouctl first (or pass -b BUILD_DIR)"
    [[ -f $units_dir/fouctl.service ]] ||
        die "no packaging/build-deb and no $units_dir/fouctl.service: nothing to test"
    PAYLOAD_UNITS=()
    for u in "$units_dir"/*.service; do PAYLOAD_UNITS+=("$u"); done
    # Install the binary where the unit runs it.
    PAYLOAD_BIN_PATH=$(sed -nE 's/^ExecStart=[-@+!:]*(\/[^[:space:]]+).*/\1/p' \
        "$units_dir/fouctl.service" | head -n1)
    PAYLOAD_BIN_PATH=${PAYLOAD_BIN_PATH:-/usr/sbin/fouctl}
    PAYLOAD_KIND=files
    mapfile -t RUNTIME_PKGS < <(lib_packages "$PAYLOAD_BIN")
    echo "vm-systemd: no packaging/build-deb: installing $PAYLOAD_BIN as $PAYLOAD_BIN_PATH and" \
        "${PAYLOAD_UNITS[*]##*/} from $units_dir by hand; libraries from: ${RUNTIME_PKGS[*]}"
}

# --- kernel --------------------------------------------------------------------

# prepare_sd_kernel DIR: fills DIR (once) with vmlinuz, kver and the whole
# modules/KVER tree of the kernel the VM lane uses; sets SD_KDIR, SD_KVER.
prepare_sd_kernel() {
    local dir=$1 tmp pkg root kdir
    SD_KDIR=$dir
    if [[ -f $dir/stamp ]] && [[ -z ${FOUCTL_VM_KERNEL_PKG:-} ||
        $(<"$dir/stamp") == "$FOUCTL_VM_KERNEL_PKG" ]]; then
        SD_KVER=$(<"$dir/kver")
        echo "vm-systemd: kernel $SD_KVER (cached)"
        return 0
    fi
    mkdir -p "${dir%/*}"
    tmp_dir tmp "${dir%/*}"
    while ! pkg=$(kernel_package) || ! download_deb "$pkg" "$tmp"; do
        if ! may_install || ((_apt_updated)); then
            unavailable "cannot download the kernel behind linux-image-cloud-amd64 (${pkg:-unresolved})"
        fi
        apt_update_once
    done
    echo "vm-systemd: preparing kernel $pkg"
    root=$tmp/root
    dpkg -x "$(echo "$tmp"/*.deb)" "$root"
    kdir=''
    for d in "$root"/lib/modules/* "$root"/usr/lib/modules/*; do
        [[ -d $d ]] && kdir=$d && break
    done
    [[ -n $kdir ]] || die "$pkg has no /lib/modules/KVER"
    SD_KVER=${kdir##*/}
    mkdir -p "$tmp/kernel/modules"
    cp "$root/boot/vmlinuz-$SD_KVER" "$tmp/kernel/vmlinuz" || die "$pkg has no vmlinuz-$SD_KVER"
    mv "$kdir" "$tmp/kernel/modules/"
    echo "$SD_KVER" >"$tmp/kernel/kver"
    echo "$pkg" >"$tmp/kernel/stamp"
    rm -rf "$dir"
    mv "$tmp/kernel" "$dir"
}

# --- rootfs ----------------------------------------------------------------------

# find_mirror: the Debian mirror apt uses for $SUITE (one-line or deb822
# sources), FOUCTL_VM_MIRROR if set.
find_mirror() {
    local f line types uris suites uri
    if [[ -n ${FOUCTL_VM_MIRROR:-} ]]; then echo "$FOUCTL_VM_MIRROR"; return 0; fi
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        uri=$(awk -v s="$SUITE" '$1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                if ($(i + 1) == s) { print $i; exit } }' "$f")
        [[ -n $uri ]] && { echo "$uri"; return 0; }
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        types='' uris='' suites=''
        while IFS= read -r line || [[ -n $line ]]; do
            case $line in
                '#'*) continue ;;
                Types:*) types=" ${line#Types:} " ;;
                URIs:*) uris=${line#URIs:} ;;
                Suites:*) suites=" ${line#Suites:} " ;;
            esac
            if [[ -z ${line//[[:space:]]/} ]]; then
                types='' uris='' suites=''
            elif [[ $types == *" deb "* && $suites == *" $SUITE "* && -n ${uris// /} ]]; then
                read -r uri _ <<<"$uris"
                echo "$uri"
                return 0
            fi
        done <"$f"
    done
    echo http://deb.debian.org/debian
}

# prepare_rootfs DIR: a pristine debootstrap (minbase + systemd + fouctl's
# dependencies) as DIR/rootfs-SUITE-KEY.tar.zst, built once per package set
# (KEY hashes suite, mirror and package list); sets ROOTFS_TAR.
prepare_rootfs() {
    local dir=$1 mirror include key tmp root log rc=0
    mirror=$(find_mirror)
    include=$(printf '%s\n' "${SD_BASE_PKGS[@]}" "${RUNTIME_PKGS[@]}" | sort -u | paste -sd, -)
    key=$(printf '%s\n' "$SUITE" "$mirror" "$include" "$(debootstrap --version)" |
        sha256sum | cut -c1-12)
    ROOTFS_TAR=$dir/rootfs-$SUITE-$key.tar.zst
    if [[ -f $ROOTFS_TAR ]]; then
        echo "vm-systemd: rootfs $SUITE (cached: $ROOTFS_TAR)"
        return 0
    fi
    mkdir -p "$dir"
    tmp_dir tmp "$dir"
    root=$tmp/root
    log=$tmp/debootstrap.log
    echo "vm-systemd: debootstrap $SUITE from $mirror (--include=$include)"
    timeout -k 10 "$(budget 420)" debootstrap --variant=minbase --include="$include" \
        "$SUITE" "$root" "$mirror" </dev/null >"$log" 2>&1 || rc=$?
    umount_under "$root"
    if ((rc != 0)); then
        tail -n 15 "$log" | sed 's/^/    | /'
        [[ -f $root/debootstrap/debootstrap.log ]] &&
            tail -n 15 "$root/debootstrap/debootstrap.log" | sed 's/^/    | /'
        unavailable "debootstrap $SUITE from $mirror failed (exit $rc)"
    fi
    # Nothing in the guest uses apt: drop the downloaded packages and lists.
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -cf - . |
        zstd -q -T0 -3 >"$tmp/rootfs.tar.zst"
    mv "$tmp/rootfs.tar.zst" "$ROOTFS_TAR"
    # Keep the two newest package sets (the .deb's and the fallback's differ).
    local old
    while IFS= read -r old; do
        rm -f "$old"
    done < <(find "$dir" -maxdepth 1 -name 'rootfs-*.tar.zst' -printf '%T@ %p\n' |
        sort -rn | tail -n +3 | cut -d' ' -f2-)
}

# --- the disk image ----------------------------------------------------------------

# install_payload ROOT: fouctl into the rootfs, the package or by hand.
install_payload() {
    local root=$1 u log=$work/dpkg.log
    if [[ $PAYLOAD_KIND == deb ]]; then
        cp "$PAYLOAD_DEB" "$root/tmp/fouctl.deb"
        # No service starts in the chroot (deb-systemd-invoke skips them
        # anyway without a running systemd).
        printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
        chmod 755 "$root/usr/sbin/policy-rc.d"
        if ! chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/fouctl.deb >"$log" 2>&1; then
            sed 's/^/    | /' "$log"
            die "dpkg -i of $(basename "$PAYLOAD_DEB") in the guest rootfs failed"
        fi
        rm -f "$root/tmp/fouctl.deb" "$root/usr/sbin/policy-rc.d"
        echo "vm-systemd: the package installed: $(chroot "$root" dpkg -L fouctl |
            grep -E 'bin/|systemd/system/' | paste -sd' ' -)"
    else
        install -D -m 0755 "$PAYLOAD_BIN" "$root$PAYLOAD_BIN_PATH"
        for u in "${PAYLOAD_UNITS[@]}"; do
            install -D -m 0644 "$u" "$root/usr/lib/systemd/system/${u##*/}"
        done
        for u in "$repo"/man/*.[1-9]; do
            [[ -f $u ]] || continue
            install -D -m 0644 "$u" "$root/usr/share/man/man${u##*.}/${u##*/}"
        done
    fi
}

# build_image WORK: WORK/disk.img, an ext4 file system made from the cached
# rootfs plus the kernel's modules, fouctl, its config and the test driver.
build_image() {
    local work=$1 root=$1/root g=$1/root/opt/fouctl-vmtest state mb
    mkdir -p "$root"
    zstd -dc "$ROOTFS_TAR" | tar -C "$root" --numeric-owner --xattrs --xattrs-include='*' -xf -
    mkdir -p "$root/usr/lib/modules"
    cp -a "$SD_KDIR/modules/$SD_KVER" "$root/usr/lib/modules/"
    depmod -b "$root" "$SD_KVER" || die "depmod for $SD_KVER failed"

    install_payload "$root"

    # The test driver (tests/vm/lib.sh at the same relative place as here).
    mkdir -p "$g/systemd"
    cp "$sd_dir/../lib.sh" "$g/"
    cp -r "$sd_dir/driver.sh" "$sd_dir/helpers.sh" "$sd_dir/boot1" "$sd_dir/boot2" "$g/systemd/"
    # A newer version of the same package, for the upgrade check.
    if [[ $PAYLOAD_KIND == deb ]]; then
        rm -rf "$work/upgrade"
        dpkg-deb -R "$PAYLOAD_DEB" "$work/upgrade"
        sed -i 's/^Version: .*/&+vmtest1/' "$work/upgrade/DEBIAN/control"
        dpkg-deb --root-owner-group -b "$work/upgrade" "$g/fouctl-upgrade.deb" >/dev/null ||
            die "cannot build the upgrade package"
        rm -rf "$work/upgrade"
    fi
    chmod 755 "$g/systemd/driver.sh"
    {
        echo "VMTEST_CASE_TIMEOUT=${FOUCTL_VM_CASE_TIMEOUT:-90}"
        echo "VMTEST_MAX_EXPOSURE=${FOUCTL_VM_MAX_EXPOSURE:-}"
        echo "VMTEST_DELIVERY=$PAYLOAD_KIND"
    } >"$g/config"
    cp "$sd_dir/fouctl-vmtest.service" "$root/etc/systemd/system/"
    mkdir -p "$root/etc/fouctl"
    cp "$sd_dir/fouctl.json" "$root/etc/fouctl/fouctl.json"

    # A fixed machine id: not a "first boot" (no systemd-firstboot prompt).
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
    echo vmtest-systemd >"$root/etc/hostname"
    echo '/dev/nvme0n1 / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
    mkdir -p "$root/var/log/journal"       # persistent: boot 2 can read boot 1's

    state=$(chroot "$root" systemctl is-enabled fouctl.service 2>&1) || true
    echo "vm-systemd: after installing, fouctl.service is '$state'; enabling it and the test driver"
    chroot "$root" systemctl -q enable fouctl.service fouctl-vmtest.service ||
        die "systemctl enable fouctl.service fouctl-vmtest.service failed in the rootfs"
    chroot "$root" systemctl -q set-default multi-user.target
    # Nothing else of interest: no logins, no timers.
    chroot "$root" systemctl -q mask getty.target serial-getty@ttyS0.service \
        apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
        systemd-firstboot.service >/dev/null 2>&1 || true

    mb=$(du -sm "$root" | cut -f1)
    mb=$((mb + mb / 2 + 256))
    truncate -s "${mb}M" "$work/disk.img"
    mkfs.ext4 -q -F -L fouctl-vm -E root_owner=0:0 -d "$root" "$work/disk.img" ||
        die "mkfs.ext4 -d failed"
    rm -rf --one-file-system "$root"
}

# --- boots ---------------------------------------------------------------------

# boot_sd_vm N IMAGE CONSOLE RESULTS: boot N of IMAGE; the guest's console
# (ttyS0) is appended to CONSOLE, the test driver's markers (ttyS1) to
# RESULTS.
boot_sd_vm() {
    local n=$1 img=$2 console=$3 results=$4 limit rc=0 c r line
    limit=$(budget "${FOUCTL_VM_BOOT_TIMEOUT:-240}")
    if ((limit < 20)); then
        echo "vm-systemd: no time left for boot $n (FOUCTL_VM_LANE_TIMEOUT)"
        return 0
    fi
    c=$work/console$n.log
    r=$work/results$n.log
    echo "vm-systemd: boot $n: $SD_KVER, systemd as PID 1 (TCG, limit ${limit}s)"
    # TCG only (nested KVM fails on these hosts, see shared/KERNEL.md).  The
    # cloud kernel has NVMe and ext4 built in, so the root disk is an NVMe
    # drive and no initramfs is needed.  -no-reboot: the guest's reboot and
    # poweroff both end QEMU; the host starts boot 2 itself.
    timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
        -display none -vga none -nic none -monitor none -no-reboot \
        -serial "file:$c" -serial "file:$r" \
        -drive "file=$img,format=raw,if=none,id=root,cache=unsafe" \
        -device nvme,drive=root,serial=fouctlroot \
        -kernel "$SD_KDIR/vmlinuz" \
        -append "root=/dev/nvme0n1 rw rootwait console=ttyS0 panic=-1 quiet loglevel=3 systemd.show_status=error" \
        </dev/null >"$work/qemu$n.err" 2>&1 || rc=$?
    if ((rc == 124 || rc == 137)); then
        echo "vm-systemd: boot $n did not finish within ${limit}s"
    elif ((rc != 0)); then
        echo "vm-systemd: qemu exited $rc in boot $n:"
        sed 's/^/    /' "$work/qemu$n.err"
    fi
    { echo "===== boot $n"; tr -d '\r' <"$c" 2>/dev/null; } >>"$console"
    tr -d '\r' <"$r" 2>/dev/null >>"$results" || true
    line=$(grep -a -o '@@VMTEST-BOOT .*' "$r" | tr -d '\r' | tail -n1) || true
    [[ -z $line ]] || echo "vm-systemd: boot $n: ${line#@@VMTEST-BOOT }"
}

# sd_report RESULTS CONSOLE: one line per check, the output of failed ones,
# timings and the summary; returns 1 when a check failed or gave no result.
sd_report() {
    local results=$1 console=$2 c n line status reason pass=0 failed=0 skipped=0
    local -A tail_shown=()
    for c in "${CHECKS[@]}"; do
        n=${CHECK_BOOT[$c]}
        line=$(grep -a -o "@@VMTEST $c .*" "$results" | tail -n1) || true
        status='' reason=''
        read -r _ _ status reason <<<"$line"
        case $status in
            PASS) echo "PASS $c${reason:+: $reason}"; pass=$((pass + 1)); continue ;;
            SKIP) echo "SKIP $c: $reason"; skipped=$((skipped + 1)); continue ;;
            FAIL) echo "FAIL $c: $reason" ;;
            *) echo "FAIL $c: no result from boot $n (hang, panic or timeout)" ;;
        esac
        failed=$((failed + 1))
        if grep -aq "@@VMTEST-BEGIN $c\$" "$results"; then
            sed -n "/@@VMTEST-BEGIN $c\$/,/@@VMTEST $c /p" "$results" |
                sed -e '1d' -e "/@@VMTEST $c /d" -e 's/^/    | /'
        elif grep -aq "@@VMTEST-BOOT $n" "$results"; then
            echo "    (never started: boot $n stopped during an earlier check)"
        elif [[ -z ${tail_shown[$n]:-} ]]; then
            tail_shown[$n]=1
            echo "    boot $n never started the test driver; last console lines:"
            sed -n "/^===== boot $n\$/,/^===== boot /p" "$console" | grep -v '^=====' |
                tail -n 40 | sed 's/^/    | /'
        fi
    done
    echo "vm-systemd: console: $console; driver output: $results"
    local timings
    timings=$(printf '%s, ' "${PHASES[@]}")
    echo "vm-systemd: timings: ${timings}lane $((SECONDS - lane_start))s"
    echo "vm-systemd: $pass passed, $failed failed, $skipped skipped"
    return $((failed > 0))
}
