#!/bin/bash
# The Ansible collection (packaging/ansible) as its README documents it: installed with
# ansible-galaxy, the example playbook (role fouctl.net.mesh) on three network namespaces
# joined by a bridge, one host each (ansible_connection: local, fouctl_netns). Check mode
# changes nothing and reports changes; apply makes a mesh that carries traffic between every
# pair; a second run changes nothing; a route deleted by hand is reported in check mode for
# that host alone; state=absent leaves nothing; a config fouctl refuses fails the task with
# fouctl's located message. Also the mesh builder's unit tests and ansible-lint.
# case-timeout: 240
# shellcheck source-path=SCRIPTDIR source=../../vm/lib.sh
. "$(dirname "$0")/../../vm/lib.sh"

repo=$(cd "$(dirname "$0")/../../.." && pwd)
readme=$repo/packaging/ansible/README.md
command -v ansible-playbook >/dev/null || skip "ansible-core is not installed (packaging/install-deps installs it)"
command -v ansible-galaxy >/dev/null ||
    skip "ansible-core is not installed (packaging/install-deps installs it)"
command -v jq >/dev/null || skip "no jq"
fouctl=$(command -v fouctl)

id=${FOUCTL_TEST_ID:-fx}
ns=("" "${id}an1" "${id}an2" "${id}an3") # ns[i]: the namespace of inventory host n$i
work=$(mktemp -d /tmp/fouctl-70_ansible.XXXXXX)
on_exit rm -rf "$work"
# Everything Ansible writes stays in $work: collections, its temporary files, no ~/.ansible.
export ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_LOCAL_TEMP=$work/tmp-local \
    ANSIBLE_REMOTE_TEMP=$work/tmp-remote ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 \
    ANSIBLE_RETRY_FILES_ENABLED=0 PYTHONDONTWRITEBYTECODE=1

# documented CMD...: runs CMD, which must be a line of the collection's README as it is.
documented() {
    grep -qxF -- "$*" "$readme" || fail "not in packaging/ansible/README.md as run: $*"
    "$@"
}

# recap FILE HOST KEY: KEY's number (changed, failed...) in HOST's line of the PLAY RECAP.
recap() {
    sed -n "/^PLAY RECAP/,\$ s/^$2 *: .* $3=\([0-9]*\).*/\1/p" "$1"
}

# playbook NAME ARGS...: runs the documented ansible-playbook ARGS in $work, output to
# $work/NAME.out (printed); fails unless it exits 0 with no failed host.
playbook() {
    local name=$1 rc=0 h
    shift
    (cd "$work" && documented ansible-playbook "$@") >"$work/$name.out" 2>&1 || rc=$?
    cat "$work/$name.out"
    ((rc == 0)) || fail "ansible-playbook $* exited $rc"
    for h in n1 n2 n3; do
        [[ $(recap "$work/$name.out" $h failed) == 0 ]] || fail "$name: $h failed"
    done
}

# changed_is NAME C1 C2 C3: the PLAY RECAP of run NAME says changed=C1 for n1, and so on.
changed_is() {
    local name=$1 h want
    shift
    for h in n1 n2 n3; do
        want=$1
        shift
        [[ $(recap "$work/$name.out" $h changed) == "$want" ]] ||
            fail "$name: $h has changed=$(recap "$work/$name.out" $h changed), not $want"
    done
}

# tunnels NS: how many tunnels fouctl lists in NS.
# status compares with a config without tunnels, so it exits 3 when there are any.
tunnels() { { fouctl -n "$1" status --json -c "$work/empty.json" || true; } | jq '.tunnels | length'; }

log "the mesh builder's unit tests"
(cd "$repo" && documented python3 -m unittest discover -s packaging/ansible/tests/unit) ||
    fail "unit tests of packaging/ansible failed"

log "three namespaces on a bridge"
sw=${id}asw
netns_add "$sw"
check ip -n "$sw" link add br0 type bridge
check ip -n "$sw" link set br0 up
for i in 1 2 3; do
    n=${ns[i]}
    netns_add "$n"
    # Pins of bpf tunnels made through `fouctl -n` live in the host's bpffs, not in the
    # namespace: a failed case still takes them down.
    on_exit fouctl -n "$n" down --all
    check ip -n "$sw" link add p$i type veth peer name ul0 netns "$n"
    check ip -n "$sw" link set p$i master br0 up
    check ip -n "$n" addr add 192.168.170.$i/24 dev ul0
    check ip -n "$n" link set ul0 up
done
for i in 2 3; do ping_all "${ns[1]}" 192.168.170.$i -c 1 -W 5; done
for i in 1 2 3; do snapshot "$work/before.$i" "${ns[i]}"; done
echo '{"version": 1, "tunnels": []}' >"$work/empty.json"

log "the collection installed as documented, the example playbook and an inventory of namespaces"
(cd "$repo" && documented ansible-galaxy collection install packaging/ansible) ||
    fail "ansible-galaxy collection install failed"
[[ -f $ANSIBLE_COLLECTIONS_PATH/ansible_collections/fouctl/net/plugins/modules/tunnels.py ]] ||
    fail "the collection is not in $ANSIBLE_COLLECTIONS_PATH"
# The documentation parses (a YAML slip makes ansible-doc fail) and lists every option.
out=$(documented ansible-doc fouctl.net.tunnels) || fail "ansible-doc fouctl.net.tunnels failed"
for opt in config path netns state executable; do
    grep -q "^- $opt\$" <<<"$out" || fail "ansible-doc fouctl.net.tunnels does not list option '$opt'"
done
out=$(documented ansible-doc -t filter fouctl.net.mesh_config) || fail "ansible-doc of the filter failed"
grep -q '^- port_base$' <<<"$out" || fail "ansible-doc of the filter does not list 'port_base'"
cp "$repo/packaging/ansible/examples/site.yml" "$work/site.yml"
# README shows examples/site.yml and examples/inventory.yml: they must be what it shows.
for f in site.yml inventory.yml; do
    shown=$(awk -v f="\`examples/$f\`" 'index($0, f) == 1 {on = 1; next}
        on && /^```yaml$/ {in_block = 1; next} in_block && /^```$/ {exit} in_block' "$readme")
    [[ $shown == "$(cat "$repo/packaging/ansible/examples/$f")" ]] || fail "README's $f differs from examples/$f"
done
# The example inventory with each host in its own namespace, on this machine; n3's tunnels
# are relays (the others take the BPF datapath, or relays where BPF cannot run), so that both
# datapaths meet in the mesh and state=absent has processes to stop.
cat >"$work/inventory.yml" <<YAML
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: /usr/bin/python3
    fouctl_executable: $fouctl
    fouctl_tunnel_subnet: 10.99.0.0/24
    fouctl_port_base: 7000
  hosts:
    n1: {fouctl_underlay: 192.168.170.1, fouctl_netns: ${ns[1]}}
    n2: {fouctl_underlay: 192.168.170.2, fouctl_netns: ${ns[2]}}
    n3: {fouctl_underlay: 192.168.170.3, fouctl_netns: ${ns[3]}, fouctl_mesh_mode: userspace}
YAML

# ansible-lint (slow: about 15 s) runs beside the playbooks; its verdict is read at the end.
lint_pid=''
if command -v ansible-lint >/dev/null; then
    log "ansible-lint on the example playbook and the role it uses (in the background)"
    # Debian 12's ansible-lint (6.13) does not find a collection outside its own cache, so it
    # mocks the module and filter (warnings) and checks the YAML and task rules; the
    # playbook runs below check the module's options. Its cache goes to $work too.
    (cd "$work" && XDG_CACHE_HOME=$work/cache exec timeout 120 ansible-lint --offline --nocolor site.yml \
        "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/fouctl/net/roles/mesh") >"$work/lint.out" 2>&1 &
    lint_pid=$!
    on_exit kill "$lint_pid"
else
    log "no ansible-lint (Debian package ansible-lint): not linted"
fi

log "check mode: changes reported, none made"
playbook check -i inventory.yml site.yml --check --diff
changed_is check 1 1 1
grep -q '^+fm1 tunnel: {.*"10.99.0.2/32"' "$work/check.out" || fail "--diff shows no tunnel fm1 being made"
for i in 1 2 3; do
    [[ $(tunnels "${ns[i]}") == 0 ]] || fail "check mode made tunnels in ${ns[i]}"
done

log "apply: a mesh with traffic between every pair"
playbook apply -i inventory.yml site.yml
changed_is apply 1 1 1
for i in 1 2 3; do
    [[ $(tunnels "${ns[i]}") == 2 ]] || fail "${ns[i]} has $(tunnels "${ns[i]}") tunnels, not 2"
done
for i in 1 2 3; do
    fouctl -n "${ns[i]}" status --json | jq -c '.tunnels[] | {name, mode, rx_port, peer, addresses, routes}'
done
[[ $(fouctl -n "${ns[3]}" status --json | jq -c '[.tunnels[] | .mode, (.relay.pid > 0)]') == \
    '["userspace",true,"userspace",true]' ]] || fail "n3's tunnels are not running relays"
# Pair k: n_low has 10.99.0.(2k+1), n_high 10.99.0.(2k+2); -I makes the echo and its reply
# both go through the tunnel.
ping_all "${ns[1]}" 10.99.0.2 -c 2 -W 2 -I 10.99.0.1
ping_all "${ns[1]}" 10.99.0.4 -c 2 -W 2 -I 10.99.0.3
ping_all "${ns[2]}" 10.99.0.6 -c 2 -W 2 -I 10.99.0.5

log "a second run changes nothing"
playbook again -i inventory.yml site.yml
changed_is again 0 0 0

log "a config fouctl refuses: the task fails with fouctl's located message, nothing changes"
cat >"$work/bad.yml" <<'YAML'
- name: A config with a bad port
  hosts: n1
  gather_facts: false
  tasks:
    - name: Tunnel with rx_port 0
      fouctl.net.tunnels:
        config: {version: 1, tunnels: [{name: bad, rx_port: 0, tx_port: 7000, routes: [10.98.0.0/24]}]}
        netns: "{{ fouctl_netns }}"
        executable: "{{ fouctl_executable }}"
YAML
rc=0
(cd "$work" && ansible-playbook -i inventory.yml bad.yml) >"$work/bad.out" 2>&1 || rc=$?
cat "$work/bad.out"
((rc == 2)) || fail "the playbook with a bad config exited $rc, not 2"
grep -E '^fatal: \[n1\]: FAILED! => .*"msg": "fouctl[^"]*: /tmp/fouctl-ansible-[^/]*/fouctl.json: /tunnels/0/rx_port: 0 is not a number from 1 to 65535' \
    -q "$work/bad.out" || fail "the failure does not carry fouctl's located message"
[[ $(tunnels "${ns[1]}") == 2 ]] || fail "the bad config changed ${ns[1]}"
! compgen -G '/tmp/fouctl-ansible-*' >/dev/null || fail "the module left its private directory in /tmp"

log "drift: a route deleted by hand in n2 is a change of n2 alone in check mode"
check ip -n "${ns[2]}" route del 10.99.0.1/32
playbook drift -i inventory.yml site.yml --check --diff
changed_is drift 0 1 0
grep -q '10.99.0.1/32' "$work/drift.out" || fail "--diff does not show the route"
[[ -z $(ip -n "${ns[2]}" route show 10.99.0.1/32) ]] || fail "check mode repaired the route"

log "state=absent: nothing left, no devices, no relays"
playbook absent -i inventory.yml site.yml -e fouctl_mesh_state=absent
changed_is absent 1 1 1
for i in 1 2 3; do
    n=${ns[i]}
    [[ $(tunnels "$n") == 0 ]] || fail "$n still has fouctl tunnels"
    [[ -z $(ip netns pids "$n") ]] || fail "processes (relays) left in $n: $(ip netns pids "$n" | xargs)"
    [[ -z $(ip -n "$n" route show table all proto 252) ]] || fail "routes of fouctl (proto 252) left in $n"
    snapshot "$work/after.$i" "$n"
    same_snapshot "$work/before.$i" "$work/after.$i"
done
playbook absent2 -i inventory.yml site.yml -e fouctl_mesh_state=absent
changed_is absent2 0 0 0

if [[ -n $lint_pid ]]; then
    log "ansible-lint"
    rc=0
    wait "$lint_pid" || rc=$?
    cat "$work/lint.out"
    ((rc == 0)) || fail "ansible-lint exited $rc"
fi
