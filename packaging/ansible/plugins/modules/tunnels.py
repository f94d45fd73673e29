#!/usr/bin/python
# fouctl.net.tunnels: make a host's (or network namespace's) FOU tunnels match a fouctl
# config, through `fouctl plan --json` and `fouctl apply`, or remove them all.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tunnels
short_description: Make the FOU tunnels of a host match a fouctl config
description:
  - Runs C(fouctl plan --json) to find what differs between the host (or one of its network
    namespaces) and a fouctl config (fouctl.json(5)), then C(fouctl apply) when anything does,
    then C(fouctl plan --json) again to confirm that nothing is left pending.
  - With I(state=absent) removes every tunnel fouctl owns there (C(fouctl down --all)).
  - fouctl validates the config itself; an invalid one fails the task with fouctl's message,
    which locates each error by JSON pointer (such as C(/tunnels/0/rx_port)), and changes nothing.
  - Needs fouctl 0.1.0 or later with C(plan --json) on the managed host, run as root.
version_added: "0.1.0"
author: fouctl developers
options:
  config:
    description:
      - The config as a dict with C(version) and C(tunnels), as in fouctl.json(5).
      - It is written to a file only root can read (mode 0600, in a private directory),
        passed with C(-c) and removed afterwards.
      - Mutually exclusive with I(path); one of them is required unless I(state=absent).
    type: dict
  path:
    description:
      - A config file already on the managed host, passed to fouctl with C(-c).
    type: path
  netns:
    description:
      - The network namespace (as made by C(ip netns add)) to work in, passed as C(fouctl -n NETNS).
      - Default is the namespace the module runs in.
    type: str
  state:
    description:
      - C(present) makes the tunnels match the config; C(absent) removes every tunnel fouctl owns
        in the namespace, whatever made it.
    type: str
    choices: [present, absent]
    default: present
  executable:
    description:
      - The fouctl command, a name looked up in C(PATH) or an absolute path.
    type: str
    default: fouctl
attributes:
  check_mode:
    support: full
    description: Reports the plan (or, with I(state=absent), the tunnels) without changing anything.
  diff_mode:
    support: full
    description: One line per planned change, before and after; with I(state=absent) the tunnels.
notes:
  - C(changed) is true exactly when the plan had changes (or, with I(state=absent), when there were tunnels).
  - The tunnels C(auto) chooses depend on the host's kernel (kernel FOU, BPF or the userspace relay);
    see fouctl(8).
seealso:
  - name: fouctl.json(5)
    description: The config format, its validation and how apply reconciles.
"""

EXAMPLES = r"""
- name: Tunnels from a dict
  fouctl.net.tunnels:
    config:
      version: 1
      tunnels:
        - name: overlay
          rx_port: 9090
          tx_port: 9090
          peer: 192.168.1.103
          local: 192.168.1.114
          addresses: [172.30.0.1/16]
          routes: [172.30.0.0/16]

- name: Tunnels from a file on the host, in network namespace blue
  fouctl.net.tunnels:
    path: /etc/fouctl/fouctl.json
    netns: blue

- name: No fouctl tunnels left
  fouctl.net.tunnels:
    state: absent
"""

RETURN = r"""
plan:
  description:
    - C(fouctl plan --json) before any change (with I(state=present)), that is what was done, or in
      check mode what would be. C(changes) lists each step with C(action), C(object), C(tunnel),
      C(command) and C(before)/C(after); C(pending) counts them.
  returned: state is present
  type: dict
  sample: {"schema": "fouctl-plan/1", "config": "/etc/fouctl/fouctl.json", "pending": 1,
           "changes": [{"action": "create", "object": "route", "tunnel": "fm1",
                        "command": "ip route add 10.99.0.2/32 dev fm1", "before": null,
                        "after": {"route": "10.99.0.2/32"}}]}
pending:
  description: How many steps the plan had.
  returned: state is present
  type: int
  sample: 1
tunnels:
  description: The tunnels there were, as C(fouctl status --json) lists them (with I(state=absent)).
  returned: state is absent
  type: list
  elements: dict
stdout:
  description: What C(fouctl apply) or C(fouctl down --all) printed (each step it took, as an ip command).
  returned: always
  type: str
stderr:
  description: fouctl's standard error, of every command run.
  returned: always
  type: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

_EMPTY = {"version": 1, "tunnels": []}


class Fouctl:
    """Runs fouctl with the module's executable and namespace, gathering its stderr."""

    def __init__(self, module):
        self.module = module
        exe = module.params["executable"]
        if os.path.isabs(exe):
            if not os.access(exe, os.X_OK):
                module.fail_json(msg="executable '%s' is not an executable file" % exe)
            self.exe = exe
        else:
            self.exe = module.get_bin_path(exe, required=True)
        self.netns = module.params["netns"]
        self.stderr = []
        self.stdout = []

    def run(self, *args):
        cmd = [self.exe]
        if self.netns:
            cmd += ["-n", self.netns]
        cmd += list(args)
        rc, out, err = self.module.run_command(cmd, check_rc=False)
        if err:
            self.stderr.append(err)
        return rc, out, err

    def fail(self, msg, **kw):
        self.module.fail_json(msg=msg, stderr="".join(self.stderr), stdout="".join(self.stdout), **kw)

    def json_of(self, verb, rc, out, err, ok):
        """The JSON fouctl printed, or a failed task naming the command and fouctl's message."""
        if rc not in ok:
            # fouctl's own message (a config error located by JSON pointer, a lock timeout...).
            text = err.strip() or "fouctl %s exited %d without a message" % (verb, rc)
            self.fail(text, rc=rc)
        try:
            return json.loads(out)
        except ValueError as e:
            self.fail("fouctl %s printed no JSON (%s): %s" % (verb, e, out[:200]), rc=rc)

    def plan(self, path):
        rc, out, err = self.run("plan", "--json", "-c", path)
        plan = self.json_of("plan --json", rc, out, err, (0, 3))
        changes = plan.get("changes") or []
        pending = plan.get("pending", len(changes))
        if (rc == 3) != (pending > 0):
            self.fail("fouctl plan exited %d but lists %d pending steps" % (rc, pending), plan=plan)
        return plan, pending

    def tunnels(self, empty_path):
        # Compared with an empty config, not /etc/fouctl/fouctl.json: status exits 3 for
        # drift then, which is expected and not an error.
        rc, out, err = self.run("status", "--json", "-c", empty_path)
        return self.json_of("status --json", rc, out, err, (0, 3)).get("tunnels") or []


def _describe(value):
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return str(value)


def plan_diff(plan, netns):
    """Ansible's diff of a plan: a line per change on the side(s) it has."""
    before, after = [], []
    for c in plan.get("changes") or []:
        head = "%s %s" % (c.get("tunnel") or "-", c.get("object") or "")
        if c.get("before") is not None:
            before.append("%s: %s\n" % (head, _describe(c["before"])))
        if c.get("after") is not None:
            after.append("%s: %s\n" % (head, _describe(c["after"])))
        if c.get("before") is None and c.get("after") is None and c.get("command"):
            after.append("%s: %s\n" % (head, c["command"]))
    where = "netns %s" % netns if netns else "host"
    return {"before": "".join(before), "after": "".join(after),
            "before_header": "fouctl tunnels (%s)" % where, "after_header": "after fouctl apply"}


def tunnels_diff(tunnels, netns):
    lines = []
    for t in tunnels:
        lines.append("%s: %s\n" % (t.get("name"), _describe(
            {k: t.get(k) for k in ("mode", "rx_port", "tx_port", "peer", "local", "routes", "addresses")})))
    where = "netns %s" % netns if netns else "host"
    return {"before": "".join(lines), "after": "",
            "before_header": "fouctl tunnels (%s)" % where, "after_header": "after fouctl down --all"}


def write_private(directory, config):
    path = os.path.join(directory, "fouctl.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    return path


def present(module, fouctl, path):
    plan, pending = fouctl.plan(path)
    result = {"changed": pending > 0, "plan": plan, "pending": pending}
    if module._diff:
        result["diff"] = plan_diff(plan, fouctl.netns)
    if pending == 0 or module.check_mode:
        return result
    rc, out, err = fouctl.run("apply", "-c", path)
    fouctl.stdout.append(out)
    if rc != 0:
        fouctl.fail(err.strip() or "fouctl apply exited %d" % rc, rc=rc, plan=plan)
    after, left = fouctl.plan(path)
    if left:
        fouctl.fail("fouctl apply succeeded but %d steps are still pending" % left, plan=plan, plan_after=after)
    return result


def absent(module, fouctl, empty_path):
    tunnels = fouctl.tunnels(empty_path)
    result = {"changed": bool(tunnels), "tunnels": tunnels}
    if module._diff:
        result["diff"] = tunnels_diff(tunnels, fouctl.netns)
    if not tunnels or module.check_mode:
        return result
    rc, out, err = fouctl.run("down", "--all")
    fouctl.stdout.append(out)
    if rc != 0:
        fouctl.fail(err.strip() or "fouctl down --all exited %d" % rc, rc=rc, tunnels=tunnels)
    left = fouctl.tunnels(empty_path)
    if left:
        fouctl.fail("fouctl down --all left tunnels: %s" % ", ".join(t.get("name", "?") for t in left),
                    tunnels=tunnels)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type="dict"),
            path=dict(type="path"),
            netns=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            executable=dict(type="str", default="fouctl"),
        ),
        mutually_exclusive=[("config", "path")],
        required_if=[("state", "present", ("config", "path"), True)],
        supports_check_mode=True,
    )
    fouctl = Fouctl(module)
    # A private directory (0700) holds the config written from `config`, and the empty
    # config that `status` compares with; nothing else on the host can read or swap them.
    tmpdir = tempfile.mkdtemp(prefix="fouctl-ansible-")
    try:
        if module.params["state"] == "absent":
            result = absent(module, fouctl, write_private(tmpdir, _EMPTY))
        else:
            path = module.params["path"]
            if path is None:
                path = write_private(tmpdir, module.params["config"])
            result = present(module, fouctl, path)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    module.exit_json(stdout="".join(fouctl.stdout), stderr="".join(fouctl.stderr), **result)


if __name__ == "__main__":
    main()
