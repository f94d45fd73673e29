#!/bin/bash
# The Debian package end to end on this machine: packaging/build-deb builds it as its usage
# documents, without options (so dh_auto_test runs the unit tests in the package build: the
# suite's one package build with them), lintian reports no error or warning, dpkg installs
# the binary, both units, the conffile, the man pages, the bash, zsh and fish completions
# and the sysusers.d entry of the relay user; the installed units pass `systemd-analyze
# verify` and score at most their exposure ceiling below in `systemd-analyze security
# --offline=true`; and `dpkg --purge` leaves nothing behind. With FOUCTL_TESTED_DEB_DIR set
# (tests/run sets it) the .deb that passed is kept there, for the vm-systemd lane to install
# instead of building another. Skips when fouctl is already installed (the case would
# replace and then purge it) or when the tools are missing and cannot be installed.
#
# A build without a warm ccache takes minutes (about 16 on two cores that other builds kept
# busy), hence the longer limit below (the build gets all of it but 60 s).
# case-timeout: 1500
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

repo=$(cd "$(dirname "$0")/../../.." && pwd)
# The highest `systemd-analyze security` exposure each unit may score (systemd 252). The
# relay's 1.7 is what a unit that sets its own device up can reach: the capabilities it holds
# while it does (AmbientCapabilities, CAP_NET_ADMIN, CAP_NET_BIND_SERVICE) and capset(2), with
# which it drops them, are 0.5 of it (README, "Package, services, man pages"). A running
# instance also gets the peer's IP allow list from fouctl (a runtime drop-in), which systemd
# rates 0.1 lower only; the vm-systemd lane checks the instance (11_units_security).
declare -A max_exposure=([fouctl.service]=1.5 [fouctl-relay@.service]=1.7)
units=(fouctl.service fouctl-relay@.service)
wants_link=/etc/systemd/system/multi-user.target.wants/fouctl.service
budget=${FOUCTL_CASE_TIMEOUT:-${FOUCTL_NETNS_CASE_TIMEOUT:-180}}
export DEBIAN_FRONTEND=noninteractive

# --- prerequisites, and nothing of ours to disturb -------------------------------------
[[ $(id -u) == 0 ]] || skip "needs root (dpkg -i, dpkg --purge)"
state=$(dpkg-query -W -f='${db:Status-Status}' fouctl 2>/dev/null || true)
[[ -z $state || $state == not-installed ]] ||
    skip "the fouctl package is on this machine ($state); this case would replace and purge it"
for f in /usr/sbin/fouctl /etc/fouctl /lib/systemd/system/fouctl.service "$wants_link"; do
    [[ ! -e $f && ! -L $f ]] || skip "$f exists outside dpkg; installing the package would take it over"
done

# have_or_install CMD PACKAGE: CMD is there, or installing PACKAGE provides it.
have_or_install() {
    command -v "$1" >/dev/null && return 0
    log "installing $2 for $1"
    timeout 120 apt-get update -qq >/dev/null 2>&1 || true
    timeout 300 apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 || true
    command -v "$1" >/dev/null
}
have_or_install dpkg-buildpackage dpkg-dev || skip "no dpkg-buildpackage and dpkg-dev cannot be installed"
have_or_install lintian lintian || skip "no lintian and it cannot be installed"
have_or_install systemd-analyze systemd || skip "no systemd-analyze and systemd cannot be installed"

# A host whose systemd runs would start fouctl.service on install and stop it (`fouctl
# down --all`: every fouctl tunnel here) on purge. policy-rc.d keeps services still.
if [[ -d /run/systemd/system ]]; then
    [[ ! -e /usr/sbin/policy-rc.d ]] || skip "systemd runs here and /usr/sbin/policy-rc.d exists: cannot keep fouctl.service from starting"
    printf '#!/bin/sh\n# fouctl tests/netns/cases/50_package.sh: no service starts\nexit 101\n' \
        >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    on_exit rm -f /usr/sbin/policy-rc.d
fi

work=$(mktemp -d /tmp/fouctl-50_package.XXXXXX)
on_exit rm -rf "$work"

# --- build ------------------------------------------------------------------------------
log "packaging/build-deb -o $work/out (unit tests included; at most $((budget - 60)) s)"
rc=0
started=$SECONDS
timeout -k 5 $((budget - 60)) "$repo/packaging/build-deb" -o "$work/out" \
    </dev/null >"$work/build.log" 2>&1 || rc=$?
log "packaging/build-deb took $((SECONDS - started)) s"
if ((rc != 0)); then
    tail -n 30 "$work/build.log"
    ((rc == 124 || rc == 137)) &&
        fail "packaging/build-deb did not finish in $((budget - 60)) s; a build without a warm ccache needs minutes: raise its case-timeout"
    fail "packaging/build-deb exited $rc"
fi
grep 'WARNING' "$work/build.log" && fail "build-deb shipped placeholders for missing files"
deb=$(tail -n 1 "$work/build.log")
[[ $deb == /* && -f $deb ]] || fail "build-deb's last line is not the .deb's path: '$deb'"
[[ $(dpkg-deb -f "$deb" Package) == fouctl ]] || fail "$deb is not the fouctl package"
log "built $deb"
# dh_auto_test ran the unit tests (ctest prints its summary into the build's output).
grep -E '^100% tests passed, 0 tests failed out of [1-9]' "$work/build.log" ||
    fail "the package build did not run the unit tests (no ctest summary in its output)"
contents=$(timeout 30 dpkg-deb -c "$deb")
printf '%s\n' "$contents"
# The relay user comes from sysusers.d (dh_installsysusers: packaging/debian/fouctl.sysusers).
for f in ./usr/lib/sysusers.d/fouctl.conf ./usr/share/zsh/vendor-completions/_fouctl \
    ./usr/share/fish/vendor_completions.d/fouctl.fish; do
    grep -qE " $f\$" <<<"$contents" || fail "the package does not contain $f"
done

# --- lintian ----------------------------------------------------------------------------
rc=0
out=$(timeout 300 lintian --fail-on error,warning "$deb" 2>&1) || rc=$?
printf '%s\n' "$out"
((rc == 0)) || fail "lintian exited $rc"
! grep -Eq '^[EW]: ' <<<"$out" || fail "lintian reports errors or warnings"

# --- install ----------------------------------------------------------------------------
# What the package would put on this machine, and which of those paths exist already
# (shared directories such as /usr/share/man/man8): the rest must go with the purge.
mapfile -t paths < <(timeout 30 dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./|/|' -e 's|/$||' | grep -v '^\.\?$')
preexisting=()
for p in "${paths[@]}"; do [[ -e $p || -L $p ]] && preexisting+=("$p"); done
on_exit timeout 120 dpkg --purge fouctl
log "dpkg -i $(basename "$deb")"
check timeout 120 dpkg -i "$deb"

version=$(timeout 10 /usr/sbin/fouctl --version) || fail "/usr/sbin/fouctl --version failed"
[[ $version == *"$(dpkg-deb -f "$deb" Version | sed 's/-[^-]*$//')"* ]] ||
    fail "fouctl --version says '$version', the package is $(dpkg-deb -f "$deb" Version)"
for f in /usr/sbin/fouctl /lib/systemd/system/fouctl.service \
    /lib/systemd/system/fouctl-relay@.service /etc/fouctl/fouctl.json \
    /usr/share/man/man8/fouctl.8.gz /usr/share/man/man5/fouctl.json.5.gz \
    /usr/share/bash-completion/completions/fouctl /usr/share/zsh/vendor-completions/_fouctl \
    /usr/share/fish/vendor_completions.d/fouctl.fish /usr/lib/sysusers.d/fouctl.conf; do
    [[ -f $f ]] || fail "the package did not install $f"
done
[[ $(dpkg-query -W -f='${Conffiles}' fouctl) == *" /etc/fouctl/fouctl.json "* ]] ||
    fail "/etc/fouctl/fouctl.json is not a conffile"
check timeout 10 /usr/sbin/fouctl check -c /etc/fouctl/fouctl.json
# The Ansible collection ships uncompressed in the docs and installs from there as its
# README documents (into $work, not ~/.ansible).
for f in galaxy.yml README.md plugins/modules/tunnels.py plugins/module_utils/fouctl_mesh.py \
    plugins/filter/mesh.py roles/mesh/tasks/main.yml; do
    [[ -f /usr/share/doc/fouctl/ansible/$f ]] || fail "the package did not install /usr/share/doc/fouctl/ansible/$f"
done
if command -v ansible-galaxy >/dev/null; then
    grep -qxF 'ansible-galaxy collection install /usr/share/doc/fouctl/ansible' \
        "$repo/packaging/ansible/README.md" || fail "packaging/ansible/README.md no longer documents the install"
    check env ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" \
        timeout 60 ansible-galaxy collection install /usr/share/doc/fouctl/ansible
    [[ -f $work/collections/ansible_collections/fouctl/net/plugins/modules/tunnels.py ]] ||
        fail "ansible-galaxy did not install fouctl.net from /usr/share/doc/fouctl/ansible"
else
    log "no ansible-galaxy (ansible-core): the packaged collection is not installed"
fi
[[ -L $wants_link ]] || fail "the postinst did not enable fouctl.service ($wants_link)"
# The relay's system user (sysusers.d) and the runtime directory it may bind in
# (tmpfiles.d). Like every Debian system user, _fouctl stays after a purge.
getent passwd _fouctl >/dev/null || fail "the package did not create the system user _fouctl"
[[ $(stat -c %U:%G:%a /run/fouctl/ns) == root:_fouctl:2750 ]] ||
    fail "/run/fouctl/ns is $(stat -c %U:%G:%a /run/fouctl/ns), not root:_fouctl:2750"

# --- the installed units ----------------------------------------------------------------
# verify checks the ExecStart binaries and, with man installed, the Documentation= pages.
man_opt=--man=yes
command -v man >/dev/null || { man_opt=--man=no; log "no man(1): verify skips Documentation="; }
rc=0
out=$(timeout 60 systemd-analyze verify "$man_opt" fouctl.service fouctl-relay@probe.service 2>&1) || rc=$?
[[ -z $out ]] || printf '%s\n' "$out"
if ((rc != 0)) || [[ -n $out ]]; then fail "systemd-analyze verify is not clean (exit $rc)"; fi

for u in "${units[@]}"; do
    name=${u/@./@probe.}
    rc=0
    out=$(timeout 60 systemd-analyze security --offline=true "$name" 2>&1) || rc=$?
    level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' <<<"$out")
    [[ -n $level ]] || { printf '%s\n' "$out"; fail "no exposure level for $u (exit $rc)"; }
    log "$u: exposure $level (at most ${max_exposure[$u]})"
    awk -v l="$level" -v m="${max_exposure[$u]}" 'BEGIN { exit !(l <= m) }' ||
        { printf '%s\n' "$out"; fail "$u: exposure $level is above ${max_exposure[$u]}"; }
done

# --- purge ------------------------------------------------------------------------------
check timeout 120 dpkg --purge fouctl
state=$(dpkg-query -W -f='${db:Status-Status}' fouctl 2>/dev/null || true)
[[ -z $state || $state == not-installed ]] || fail "fouctl is still '$state' after the purge"
left=()
for p in "${paths[@]}"; do
    [[ -e $p || -L $p ]] || continue
    [[ " ${preexisting[*]} " == *" $p "* ]] || left+=("$p")
done
for p in /etc/fouctl "$wants_link" /var/lib/systemd/deb-systemd-helper-enabled/fouctl.service.dsh-also \
    /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/fouctl.service; do
    [[ -e $p || -L $p ]] && left+=("$p")
done
compgen -G '/var/lib/dpkg/info/fouctl.*' >/dev/null && left+=(/var/lib/dpkg/info/fouctl.*)
((${#left[@]} == 0)) || fail "left behind after dpkg --purge: ${left[*]}"
log "purged: nothing left"

if [[ -n ${FOUCTL_TESTED_DEB_DIR:-} ]]; then
    mkdir -p "$FOUCTL_TESTED_DEB_DIR"
    cp "$deb" "$FOUCTL_TESTED_DEB_DIR/"
    log "kept $FOUCTL_TESTED_DEB_DIR/$(basename "$deb") for the vm-systemd lane"
fi
