# shellcheck shell=bash
# Host side of the VM test lane, sourced by tests/vm/run: tool checks, the
# kernel cache, the initramfs, the QEMU boot and the result report.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)   # tests/vm
cases=()              # selected case names (filled by tests/vm/run)
work=''               # this run's scratch directory (set by tests/vm/run)

KERNEL_DIR=''          # set by prepare_kernel: vmlinuz, modules.cpio.gz, kver
_TMPDIRS=()

_cleanup_tmp() {
    ((${#_TMPDIRS[@]} == 0)) || rm -rf "${_TMPDIRS[@]}"
}
trap _cleanup_tmp EXIT

# tmp_dir VAR PARENT: makes a directory under PARENT, removed on exit, and
# stores its path in VAR.
tmp_dir() {
    local d
    d=$(mktemp -d "$2/fouctl-vm.XXXXXX")
    _TMPDIRS+=("$d")
    printf -v "$1" '%s' "$d"
}

# die MSG: reports a broken lane; every selected case counts as failed.
die() {
    echo "vm: error: $*" >&2
    echo "vm: 0 passed, ${#cases[@]} failed, 0 skipped"
    exit 1
}

# skip_all REASON: reports every selected case as skipped and exits 0.
skip_all() {
    echo "vm: SKIP: $1"
    echo "vm: 0 passed, 0 failed, ${#cases[@]} skipped"
    exit 0
}

# may_install: true when this run may apt-get install and download: root,
# and CI=true or FOUCTL_VM_INSTALL=1.
may_install() {
    [[ $(id -u) == 0 && (${CI:-} == true || ${FOUCTL_VM_INSTALL:-} == 1) ]]
}

# unavailable REASON: a prerequisite cannot be had.  Fails when this run was
# asked to provide its prerequisites, otherwise skips every case.
unavailable() {
    may_install && die "$1"
    skip_all "$1 (as root, FOUCTL_VM_INSTALL=1 lets tests/vm/run fetch it)"
}

_apt_updated=0
apt_update_once() {
    ((_apt_updated)) && return 0
    _apt_updated=1
    echo "vm: apt-get update"
    apt-get update -q >/dev/null || die "apt-get update failed"
}

# ensure_tools: installs (or reports) the host tools the lane needs.
ensure_tools() {
    local -A pkg_of=(
        [qemu-system-x86_64]=qemu-system-x86 [busybox]=busybox-static
        [ip]=iproute2 [ping]=iputils-ping [socat]=socat [cpio]=cpio
        [depmod]=kmod [gzip]=gzip [timeout]=coreutils [ldd]=libc-bin
        [dpkg]=dpkg [apt-get]=apt [apt-cache]=apt [jq]=jq [iperf3]=iperf3 [ethtool]=ethtool [xz]=xz-utils
        [strace]=strace [setpriv]=util-linux [nft]=nftables
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
    echo "vm: apt-get install ${pkgs[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${pkgs[@]}" >/dev/null || die "apt-get install ${pkgs[*]} failed"
    for cmd in "${missing[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || die "'$cmd' is still missing after apt-get install"
    done
}

# APT_OPTS: extra apt options; with FOUCTL_VM_SUITE, a private configuration that reads
# that suite of the host's Debian archive (setup_suite_apt) and leaves the host's alone.
APT_OPTS=()

# debian_mirror: the first Debian archive URI the host's apt uses (deb.debian.org if none).
debian_mirror() {
    local uri f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        uri=$(grep -oE 'https?://[^ ]+/debian/?( |$)' "$f" | head -n1) || uri=''
        [[ -n $uri ]] && break
    done
    uri=${uri:-http://deb.debian.org/debian}
    echo "${uri%% }"
}

# setup_suite_apt DIR SUITE: a private apt state in DIR for SUITE (e.g. trixie), updated
# once per run, and APT_OPTS pointing at it.
setup_suite_apt() {
    local dir=$1 suite=$2
    [[ $suite =~ ^[a-z]+$ ]] || die "FOUCTL_VM_SUITE '$suite' is not a Debian suite name"
    mkdir -p "$dir"/{etc,lists/partial,cache/archives/partial}
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$(debian_mirror)" "$suite" >"$dir/etc/$suite.sources"
    APT_OPTS=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$dir/etc"
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
        -o Dir::State::status=/dev/null)
    [[ $(id -u) == 0 ]] && APT_OPTS+=(-o APT::Sandbox::User=root)
    echo "vm: apt-get update ($suite, private lists in $dir)"
    apt-get "${APT_OPTS[@]}" update -q >/dev/null || unavailable "cannot read the $suite suite of $(debian_mirror)"
}

# kernel_package: prints the concrete kernel image package to use.
kernel_package() {
    local meta=linux-image-cloud-amd64 dep
    if [[ -n ${FOUCTL_VM_KERNEL_PKG:-} ]]; then
        echo "$FOUCTL_VM_KERNEL_PKG"
        return 0
    fi
    dep=$(apt-cache "${APT_OPTS[@]}" depends "$meta" 2>/dev/null |
        sed -nE 's/^ *Depends: (linux-image-[^ <>]+)$/\1/p' | head -n1)
    [[ -n $dep ]] && echo "$dep"
}

# download_deb PKG DIR: apt-get downloads PKG into DIR.
download_deb() {
    local -a opts=(-q "${APT_OPTS[@]}")
    # As root apt wants its _apt user to write into DIR; it need not.
    [[ $(id -u) == 0 ]] && opts+=(-o APT::Sandbox::User=root)
    (cd "$2" && apt-get "${opts[@]}" download "$1" >/dev/null)
}

# prepare_kernel CACHE: fills CACHE/kernel (once) with vmlinuz, kver and
# modules.cpio.gz (the net, drivers/net, lib and crypto modules with their
# depmod files), and sets KERNEL_DIR.
prepare_kernel() {
    local cache=$1 pkg stamp suite=${FOUCTL_VM_SUITE:-}
    mkdir -p "$cache"
    KERNEL_DIR=$cache/kernel${suite:+-$suite}
    stamp=$KERNEL_DIR/stamp
    if [[ -f $stamp ]] && [[ -z ${FOUCTL_VM_KERNEL_PKG:-} ||
        $(<"$stamp") == "$FOUCTL_VM_KERNEL_PKG" ]]; then
        return 0
    fi
    if [[ -n $suite ]]; then
        may_install || unavailable "the $suite kernel is not cached and may not be downloaded (FOUCTL_VM_INSTALL=1)"
        setup_suite_apt "$cache/apt-$suite" "$suite"
        _apt_updated=1 # the private lists are fresh
    fi
    local tmp deb root kver kdir mods d
    tmp_dir tmp "$cache"
    # A stale apt list names a package the archive no longer has: refresh
    # the lists once and try again when this run may do so.
    while ! pkg=$(kernel_package) || ! download_deb "$pkg" "$tmp"; do
        if ! may_install || ((_apt_updated)); then
            unavailable "cannot download the kernel behind linux-image-cloud-amd64 (${pkg:-unresolved})"
        fi
        apt_update_once
    done
    echo "vm: preparing kernel $pkg in $KERNEL_DIR"
    deb=$(echo "$tmp"/*.deb)
    root=$tmp/root
    dpkg -x "$deb" "$root"
    kdir=''
    for d in "$root"/lib/modules/* "$root"/usr/lib/modules/*; do
        [[ -d $d ]] && kdir=$d && break
    done
    [[ -n $kdir ]] || die "$pkg has no /lib/modules/KVER"
    kver=${kdir##*/}
    mkdir -p "$tmp/kernel"
    cp "$root/boot/vmlinuz-$kver" "$tmp/kernel/vmlinuz" || die "$pkg has no vmlinuz-$kver"

    # The guest keeps modules in /usr/lib/modules; /lib links there.
    mods=$tmp/mods/usr/lib/modules/$kver
    mkdir -p "$mods/kernel/drivers"
    cp -a "$kdir/kernel/net" "$kdir/kernel/lib" "$kdir/kernel/crypto" "$mods/kernel/"
    cp -a "$kdir/kernel/drivers/net" "$mods/kernel/drivers/"
    cp -a "$kdir"/modules.order "$kdir"/modules.builtin* "$mods/" 2>/dev/null || true
    decompress_modules "$mods"
    ln -s usr/lib "$tmp/mods/lib"
    depmod -b "$tmp/mods" "$kver" || die "depmod for $kver failed"
    (cd "$tmp/mods" && find usr | cpio -o -H newc -R 0:0 --quiet) |
        gzip -1 >"$tmp/kernel/modules.cpio.gz"
    echo "$kver" >"$tmp/kernel/kver"
    echo "$pkg" >"$tmp/kernel/stamp"
    rm -rf "$KERNEL_DIR"
    mv "$tmp/kernel" "$KERNEL_DIR"
}

# decompress_modules DIR: turns .ko.xz/.ko.zst/.ko.gz into plain .ko, which
# busybox modprobe reads everywhere (Debian 12 ships plain .ko already).
decompress_modules() {
    local f
    while IFS= read -r -d '' f; do
        case $f in
            *.xz) xz -d "$f" ;;
            *.zst) zstd -q -d --rm "$f" ;;
            *.gz) gzip -d "$f" ;;
        esac || die "cannot decompress $f"
    done < <(find "$1" -name '*.ko.*' -print0)
}

# copy_with_libs ROOT SRC DEST: copies executable SRC to ROOT/DEST plus every
# shared library ldd names for it (the dynamic loader included), each at
# its host path.
copy_with_libs() {
    local root=$1 src=$2 dest=$3 deps lib
    mkdir -p "$root${dest%/*}"
    cp -L "$src" "$root$dest"
    deps=$(ldd "$src" 2>/dev/null) || deps=''   # static: "not a dynamic executable"
    [[ $deps != *'not found'* ]] ||
        die "ldd cannot resolve every library of $src:"$'\n'"$deps"
    while read -r lib; do
        [[ -e $root$lib ]] && continue
        mkdir -p "$root${lib%/*}"
        cp -L "$lib" "$root$lib"
    done < <(sed -nE 's@^\s*(\S+ => )?(/\S+) \(0x[0-9a-f]+\)$@\2@p' <<<"$deps")
}

# build_initrd WORK FOUCTL CASE...: writes WORK/initrd.gz, the cached
# modules archive followed by a fresh userspace archive (the kernel unpacks
# concatenated compressed cpio archives in order).
build_initrd() {
    local work=$1 fouctl=$2 root=$1/root bin applet
    shift 2
    mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/libexec/busybox}
    mkdir -p "$root"/{dev,proc,sys,tmp,run,root,etc,var,tests/cases}
    ln -s usr/bin "$root/bin"
    ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"
    ln -s usr/lib64 "$root/lib64"
    ln -s ../run "$root/var/run"

    for bin in bash timeout ping socat jq busybox iperf3 ethtool strace setpriv nft; do
        copy_with_libs "$root" "$(command -v "$bin")" "/usr/bin/$bin"
    done
    copy_with_libs "$root" "$(command -v ip)" /usr/sbin/ip
    copy_with_libs "$root" "$(command -v tc)" /usr/sbin/tc
    copy_with_libs "$root" "$fouctl" /usr/sbin/fouctl
    # fouctl opens these with dlopen() when it needs them; ldd does not list them.
    for lib in libkmod.so.2 libsystemd.so.0 libnftables.so.1; do
        bin=$(ldconfig -p | awk -v l="$lib" '!p && $1 == l && /x86-64/ { p = $NF } END { print p }')
        [[ -n $bin ]] || die "cannot find $lib, which fouctl loads at run time"
        copy_with_libs "$root" "$bin" "$bin"
    done
    ln -s bash "$root/usr/bin/sh"
    # Busybox fills in the rest, last in PATH so it never shadows the real
    # ip, ping or timeout.  The kernel's module autoload runs /sbin/modprobe.
    for applet in $(busybox --list); do
        ln -s /usr/bin/busybox "$root/usr/libexec/busybox/$applet"
    done
    ln -s /usr/bin/busybox "$root/usr/sbin/modprobe"

    [[ -d /etc/iproute2 ]] && cp -a /etc/iproute2 "$root/etc/"
    [[ -d /usr/share/iproute2 ]] && mkdir -p "$root/usr/share" &&
        cp -a /usr/share/iproute2 "$root/usr/share/"
    echo 'root:x:0:0:root:/root:/bin/bash' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
    echo 'hosts: files' >"$root/etc/nsswitch.conf"

    cp "$here/init.sh" "$root/init"
    cp "$here/lib.sh" "$root/tests/"
    cp "$here"/cases/*.sh "$root/tests/cases/"
    printf '%s\n' "$@" >"$root/tests/selected"
    echo "VMTEST_CASE_TIMEOUT=${FOUCTL_VM_CASE_TIMEOUT:-120}" >"$root/tests/config"

    (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/user.cpio.gz"
    cat "$KERNEL_DIR/modules.cpio.gz" "$work/user.cpio.gz" >"$work/initrd.gz"
}

# boot_vm INITRD LOG: boots the kernel with INITRD under a host timeout; the
# serial console goes to LOG.
boot_vm() {
    local initrd=$1 log=$2 limit=${FOUCTL_VM_TIMEOUT:-900} rc=0
    echo "vm: booting $(<"$KERNEL_DIR/kver") (TCG, limit ${limit}s)"
    rm -f "$log"
    # TCG only: nested KVM fails on this kind of host (see shared/KERNEL.md).
    # No display, NIC or VGA: nothing needs option ROMs, nothing grabs a tty.
    timeout -k 10 "$limit" qemu-system-x86_64 -accel tcg -m 1024 -smp "${FOUCTL_VM_SMP:-2}" \
        -display none -vga none -nic none -monitor none -no-reboot \
        -serial "file:$log" -kernel "$KERNEL_DIR/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet" </dev/null >"$work/qemu.err" 2>&1 || rc=$?
    if ((rc == 124 || rc == 137)); then
        echo "vm: the VM did not finish within ${limit}s (FOUCTL_VM_TIMEOUT)"
    elif ((rc != 0)); then
        echo "vm: qemu exited $rc:"
        sed 's/^/    /' "$work/qemu.err"
    fi
    [[ -f $log ]] || : >"$log"
}

# report LOG SECONDS CASE...: prints each case's result, the output of the
# failed ones and the summary line; exits 1 when a case failed or gave no
# result.
report() {
    local log=$1 secs=$2 c line status reason pass=0 failed=0 skipped=0 tail_shown=0
    shift 2
    local clean=$work/console.txt
    tr -d '\r' <"$log" >"$clean"
    for c in "$@"; do
        line=$(grep -a -o "@@VMTEST $c .*" "$clean" | tail -n1) || true
        read -r _ _ status reason <<<"$line"
        if [[ -n ${FOUCTL_VM_VERBOSE:-} ]]; then
            sed -n "/@@VMTEST-BEGIN $c\$/,/@@VMTEST $c /p" "$clean" |
                sed -e '1d' -e "/@@VMTEST $c /d" -e 's/^/    | /'
        fi
        case ${status:-} in
            PASS) echo "PASS $c${reason:+ $reason}"; pass=$((pass + 1)); continue ;;
            SKIP) echo "SKIP $c: $reason"; skipped=$((skipped + 1)); continue ;;
            FAIL) echo "FAIL $c: $reason" ;;
            *) echo "FAIL $c: no result from the VM (panic, hang or timeout)" ;;
        esac
        failed=$((failed + 1))
        if grep -aq "@@VMTEST-BEGIN $c\$" "$clean"; then
            # The case's output; to the end of the log if it never finished.
            sed -n "/@@VMTEST-BEGIN $c\$/,/@@VMTEST $c /p" "$clean" |
                sed -e '1d' -e "/@@VMTEST $c /d" -e 's/^/    | /'
        elif grep -aq '@@VMTEST-BEGIN ' "$clean"; then
            echo "    (never started: the VM stopped during an earlier case)"
        elif ((!tail_shown)); then
            tail_shown=1
            echo "    no case started; last console lines:"
            tail -n 40 "$clean" | sed 's/^/    | /'
        fi
    done
    echo "vm: console log: $log"
    echo "vm: lane took ${secs}s"
    echo "vm: $pass passed, $failed failed, $skipped skipped"
    return $((failed > 0))
}
