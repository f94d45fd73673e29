# Builds one host's fouctl config (fouctl.json(5)) for a full mesh or a hub and its spokes.
#
# Pure Python without Ansible, so the pair, port and address assignment is unit-tested on
# its own (tests/unit/test_fouctl_mesh.py) and the filter plugin fouctl.net.mesh_config
# only gathers the inventory variables and calls build_config().
#
# Every pair of hosts that shares a tunnel has an index, computed from the two hosts' ids
# (i < j) as j * (j - 1) / 2 + i: the pairs (0,1), (0,2), (1,2), (0,3), ... get 0, 1, 2,
# 3, ...  A new host with a higher id adds pairs without renumbering the old ones, so
# adding a host never moves an existing tunnel.  From the index k:
#   - both ends receive and send on UDP port port_base + k, so on each host every tunnel
#     has its own rx_port (a host is in each pair at most once);
#   - the lower id gets address 2k + 1 of the tunnel subnet and the higher 2k + 2, each
#     as a host address (/32 or /128) on its own end, with a route to the other end's:
#     this holds on every datapath fouctl picks (kernel, bpf, relay).
#   - the tunnel is named name_prefix + the peer's id (fm1, fm2, ...), unique per host.
# Each tunnel has (local, peer) = (this host's underlay, the peer's), which differ from
# pair to pair since the underlay addresses are distinct.

from __future__ import absolute_import, division, print_function

import ipaddress

__metaclass__ = type

TOPOLOGIES = ("mesh", "hub")
_MAX_NAME = 15  # IFNAMSIZ - 1, fouctl.json(5) "name"


class MeshError(ValueError):
    """A mesh that cannot be built; the message names the host or variable at fault."""


def pair_index(i, j):
    """The index of the pair of hosts with ids i and j (in either order, i != j)."""
    if i == j:
        raise MeshError("a host cannot pair with itself (id %d)" % i)
    lo, hi = min(i, j), max(i, j)
    return hi * (hi - 1) // 2 + lo


def _ids(hosts):
    """Each host's id: its fouctl_mesh_id when every host has one, else its position among
    the sorted names."""
    given = {name: spec.get("id") for name, spec in hosts.items()}
    with_id = sorted(n for n, v in given.items() if v is not None)
    if not with_id:
        return {name: pos for pos, name in enumerate(sorted(hosts))}
    if len(with_id) != len(hosts):
        without = sorted(n for n, v in given.items() if v is None)
        raise MeshError("fouctl_mesh_id is set on %s but not on %s: give every host one or none"
                        % (", ".join(with_id), ", ".join(without)))
    ids = {}
    seen = {}
    for name in sorted(hosts):
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value), 10)
            except ValueError:
                raise MeshError("host '%s': fouctl_mesh_id '%s' is not a whole number" % (name, given[name]))
        if value < 0:
            raise MeshError("host '%s': fouctl_mesh_id %d is negative" % (name, value))
        if value in seen:
            raise MeshError("hosts '%s' and '%s' have the same fouctl_mesh_id %d" % (seen[value], name, value))
        seen[value] = name
        ids[name] = value
    return ids


def _underlays(hosts):
    """Each host's underlay address, checked: an address, one family, no two the same."""
    out = {}
    seen = {}
    for name in sorted(hosts):
        raw = hosts[name].get("underlay")
        if raw is None or raw == "":
            raise MeshError("host '%s' has no fouctl_underlay (its underlay address)" % name)
        try:
            addr = ipaddress.ip_address(str(raw))
        except ValueError:
            raise MeshError("host '%s': fouctl_underlay '%s' is not an IPv4 or IPv6 address" % (name, raw))
        if addr in seen:
            raise MeshError("hosts '%s' and '%s' have the same fouctl_underlay %s" % (seen[addr], name, addr))
        seen[addr] = name
        out[name] = addr
    families = {a.version for a in out.values()}
    if len(families) > 1:
        raise MeshError("fouctl_underlay mixes IPv4 and IPv6 addresses; a tunnel joins two of one family")
    return out


def _pairs(names, ids, topology, hub):
    """The pairs of host names that get a tunnel."""
    if topology == "mesh":
        return [(a, b) for a in names for b in names if ids[a] < ids[b]]
    if hub not in names:
        raise MeshError("fouctl_mesh_hub '%s' is not one of the mesh's hosts (%s)" % (hub, ", ".join(names)))
    return [(hub, spoke) for spoke in names if spoke != hub]


def _pair_addresses(net, k):
    """The tunnel addresses of pair k: (lower id's, higher id's)."""
    first, second = 2 * k + 1, 2 * k + 2
    # An IPv4 subnet keeps its last address (broadcast) out, as a host would.
    last = net.num_addresses - (2 if net.version == 4 else 1)
    if second > last:
        raise MeshError("fouctl_tunnel_subnet %s has too few addresses for pair %d (it needs %d)"
                        % (net, k, second + 1 + (1 if net.version == 4 else 0)))
    return net[first], net[second]


def build_config(hosts, self_name, topology="mesh", hub=None, subnet="10.99.0.0/24",
                 port_base=7000, name_prefix="fm", mtu=None, mode=None):
    """fouctl's config (a dict, fouctl.json(5)) for host self_name.

    hosts: {name: {"underlay": address, "id": int or None}} for every host of the mesh.
    """
    if topology not in TOPOLOGIES:
        raise MeshError("fouctl_mesh_topology '%s' is neither 'mesh' nor 'hub'" % topology)
    if topology == "hub" and not hub:
        raise MeshError("fouctl_mesh_topology 'hub' needs fouctl_mesh_hub, the hub's inventory name")
    if self_name not in hosts:
        raise MeshError("host '%s' is not one of the mesh's hosts (%s)" % (self_name, ", ".join(sorted(hosts))))
    try:
        net = ipaddress.ip_network(str(subnet), strict=True)
    except ValueError as e:
        raise MeshError("fouctl_tunnel_subnet '%s' is not a subnet: %s" % (subnet, e))
    try:
        port_base = int(port_base)
    except (TypeError, ValueError):
        raise MeshError("fouctl_port_base '%s' is not a port number" % port_base)
    if not 1 <= port_base <= 65535:
        raise MeshError("fouctl_port_base %d is not a port (1 to 65535)" % port_base)

    ids = _ids(hosts)
    underlays = _underlays(hosts)
    names = sorted(hosts, key=lambda n: ids[n])
    host_bits = 32 if net.version == 4 else 128

    tunnels = []
    for a, b in _pairs(names, ids, topology, hub):
        if self_name not in (a, b):
            continue
        peer = b if a == self_name else a
        k = pair_index(ids[a], ids[b])
        port = port_base + k
        if port > 65535:
            raise MeshError("pair %s-%s needs port %d: past 65535; lower fouctl_port_base"
                            % (a, b, port))
        low, high = _pair_addresses(net, k)
        mine, theirs = (low, high) if ids[self_name] < ids[peer] else (high, low)
        name = "%s%d" % (name_prefix, ids[peer])
        if len(name) > _MAX_NAME:
            raise MeshError("tunnel name '%s' is longer than %d characters; shorten fouctl_mesh_name_prefix"
                            % (name, _MAX_NAME))
        tunnel = {
            "name": name,
            "rx_port": port,
            "tx_port": port,
            "peer": str(underlays[peer]),
            "local": str(underlays[self_name]),
            "addresses": ["%s/%d" % (mine, host_bits)],
            "routes": ["%s/%d" % (theirs, host_bits)],
        }
        if mtu is not None:
            tunnel["mtu"] = int(mtu)
        if mode is not None:
            tunnel["mode"] = str(mode)
        tunnels.append((ids[peer], tunnel))
    tunnels.sort(key=lambda t: t[0])
    return {"version": 1, "tunnels": [t for _, t in tunnels]}
