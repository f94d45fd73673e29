# fouctl.net.mesh_config: one host's fouctl config for a mesh or hub, from the inventory.
# The assignment itself is module_utils/fouctl_mesh.py (pure, unit-tested); this filter
# only reads each host's fouctl_underlay and fouctl_mesh_id from hostvars.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: mesh_config
short_description: Build one host's fouctl config for a full mesh or a hub and spokes
description:
  - Returns the fouctl config (see fouctl.json(5)) of one host of a set of hosts joined by
    FOU tunnels, either every pair (mesh) or every host with the hub (hub).
  - Each pair of hosts with ids i < j gets the index k = j*(j-1)/2 + i, the UDP port
    I(port_base) + k at both ends, and the addresses 2k+1 (lower id) and 2k+2 (higher id)
    of I(subnet) as host addresses, each routing to the other.
  - A host's id is its C(fouctl_mesh_id) when every host has one, else its position among
    the sorted host names.
options:
  _input:
    description: The inventory names of every host of the mesh.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars); each host's C(fouctl_underlay) (and C(fouctl_mesh_id)) is read from it.
    type: dict
    required: true
  self_name:
    description: The host whose config is built (usually C(inventory_hostname)).
    type: str
    required: true
  topology:
    description: C(mesh) (a tunnel for every pair) or C(hub) (a tunnel from every host to I(hub)).
    type: str
    default: mesh
  hub:
    description: The hub's inventory name, with I(topology=hub).
    type: str
  subnet:
    description: The subnet the tunnel addresses come from.
    type: str
    default: 10.99.0.0/24
  port_base:
    description: The UDP port of pair 0.
    type: int
    default: 7000
  name_prefix:
    description: Tunnel names are this followed by the peer's id.
    type: str
    default: fm
  mtu:
    description: The MTU of every tunnel; left to fouctl when not given.
    type: int
  mode:
    description: The mode of every tunnel (auto, kernel, bpf, userspace); left to fouctl when not given.
    type: str
"""

EXAMPLES = r"""
- name: Show this host's config
  ansible.builtin.debug:
    msg: "{{ groups['all'] | fouctl.net.mesh_config(hostvars, inventory_hostname, subnet='10.99.0.0/24') }}"
"""

RETURN = r"""
_value:
  description: The config, a dict with C(version) 1 and C(tunnels).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.fouctl.net.plugins.module_utils.fouctl_mesh import MeshError, build_config


def mesh_config(hosts, hostvars, self_name, topology="mesh", hub=None, subnet="10.99.0.0/24",
                port_base=7000, name_prefix="fm", mtu=None, mode=None):
    table = {}
    for name in hosts:
        try:
            hv = hostvars[name]
        except KeyError:
            raise AnsibleFilterError("mesh_config: host '%s' is not in the inventory" % name)
        table[name] = {"underlay": hv.get("fouctl_underlay"), "id": hv.get("fouctl_mesh_id")}
    try:
        return build_config(table, self_name, topology=topology, hub=hub or None, subnet=subnet,
                            port_base=port_base, name_prefix=name_prefix, mtu=mtu, mode=mode)
    except MeshError as e:
        raise AnsibleFilterError("mesh_config: %s" % e)


class FilterModule(object):
    def filters(self):
        return {"mesh_config": mesh_config}
