# Unit tests of the mesh builder (plugins/module_utils/fouctl_mesh.py), without Ansible:
#   python3 -m unittest discover -s packaging/ansible/tests/unit
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "plugins", "module_utils"))
from fouctl_mesh import MeshError, build_config, pair_index  # noqa: E402

THREE = {"a": {"underlay": "192.168.170.1"}, "b": {"underlay": "192.168.170.2"},
         "c": {"underlay": "192.168.170.3"}}


class PairIndex(unittest.TestCase):
    def test_triangular_order(self):
        got = [pair_index(i, j) for j in range(1, 5) for i in range(j)]
        self.assertEqual(got, list(range(10)))

    def test_either_order(self):
        self.assertEqual(pair_index(3, 1), pair_index(1, 3))
        self.assertEqual(pair_index(3, 1), 4)

    def test_self_pair_refused(self):
        with self.assertRaises(MeshError):
            pair_index(2, 2)


class Mesh(unittest.TestCase):
    def test_three_hosts_exact(self):
        self.assertEqual(build_config(THREE, "b"), {"version": 1, "tunnels": [
            {"name": "fm0", "rx_port": 7000, "tx_port": 7000, "peer": "192.168.170.1",
             "local": "192.168.170.2", "addresses": ["10.99.0.2/32"], "routes": ["10.99.0.1/32"]},
            {"name": "fm2", "rx_port": 7002, "tx_port": 7002, "peer": "192.168.170.3",
             "local": "192.168.170.2", "addresses": ["10.99.0.5/32"], "routes": ["10.99.0.6/32"]},
        ]})

    def test_both_ends_agree(self):
        hosts = {"h%d" % i: {"underlay": "10.0.0.%d" % (i + 1)} for i in range(6)}
        configs = {h: build_config(hosts, h) for h in hosts}
        for h, conf in configs.items():
            ports = [t["rx_port"] for t in conf["tunnels"]]
            self.assertEqual(len(ports), len(set(ports)), h)
            self.assertEqual(len(conf["tunnels"]), 5)
            pairs = {(t["local"], t["peer"]) for t in conf["tunnels"]}
            self.assertEqual(len(pairs), 5)
            for t in conf["tunnels"]:
                peer = next(p for p in hosts if hosts[p]["underlay"] == t["peer"])
                back = [u for u in configs[peer]["tunnels"] if u["peer"] == t["local"]]
                self.assertEqual(len(back), 1)
                self.assertEqual(back[0]["rx_port"], t["tx_port"])
                self.assertEqual(back[0]["routes"], t["addresses"])
                self.assertEqual(back[0]["addresses"], t["routes"])
        addresses = [a for c in configs.values() for t in c["tunnels"] for a in t["addresses"]]
        self.assertEqual(len(addresses), len(set(addresses)))

    def test_deterministic_whatever_the_order(self):
        reordered = dict(reversed(list(THREE.items())))
        self.assertEqual(build_config(THREE, "c"), build_config(reordered, "c"))

    def test_new_host_keeps_old_pairs(self):
        ids = {n: dict(s, id=i) for i, (n, s) in enumerate(sorted(THREE.items()))}
        before = build_config(ids, "a")
        more = dict(ids, aa={"underlay": "192.168.170.9", "id": 3})
        after = build_config(more, "a")
        self.assertEqual(after["tunnels"][:2], before["tunnels"])
        self.assertEqual(after["tunnels"][2]["rx_port"], 7003)

    def test_options(self):
        conf = build_config(THREE, "a", subnet="172.16.5.0/28", port_base=9000,
                            name_prefix="mesh", mtu=1400, mode="userspace")
        t = conf["tunnels"][1]
        self.assertEqual((t["name"], t["rx_port"], t["mtu"], t["mode"]), ("mesh2", 9001, 1400, "userspace"))
        self.assertEqual((t["addresses"], t["routes"]), (["172.16.5.3/32"], ["172.16.5.4/32"]))

    def test_ipv6(self):
        hosts = {"a": {"underlay": "fd00::1"}, "b": {"underlay": "fd00::2"}}
        t = build_config(hosts, "b", subnet="fd99::/64")["tunnels"][0]
        self.assertEqual((t["addresses"], t["routes"]), (["fd99::2/128"], ["fd99::1/128"]))


class Hub(unittest.TestCase):
    def test_spoke_has_only_the_hub(self):
        conf = build_config(THREE, "c", topology="hub", hub="b")
        self.assertEqual([(t["name"], t["rx_port"], t["peer"]) for t in conf["tunnels"]],
                         [("fm1", 7002, "192.168.170.2")])

    def test_hub_has_every_spoke(self):
        conf = build_config(THREE, "b", topology="hub", hub="b")
        self.assertEqual([(t["name"], t["rx_port"]) for t in conf["tunnels"]], [("fm0", 7000), ("fm2", 7002)])

    def test_unknown_hub(self):
        with self.assertRaisesRegex(MeshError, "fouctl_mesh_hub 'z'"):
            build_config(THREE, "a", topology="hub", hub="z")

    def test_hub_needed(self):
        with self.assertRaisesRegex(MeshError, "needs fouctl_mesh_hub"):
            build_config(THREE, "a", topology="hub")


class Errors(unittest.TestCase):
    def check(self, pattern, hosts=THREE, **kw):
        with self.assertRaisesRegex(MeshError, pattern):
            build_config(hosts, kw.pop("self_name", "a"), **kw)

    def test_topology(self):
        self.check("'star' is neither", topology="star")

    def test_underlay_missing(self):
        self.check("host 'b' has no fouctl_underlay", dict(THREE, b={}))

    def test_underlay_not_an_address(self):
        self.check("'b': fouctl_underlay 'bee' is not", dict(THREE, b={"underlay": "bee"}))

    def test_underlay_twice(self):
        self.check("'a' and 'c' have the same fouctl_underlay", dict(THREE, c={"underlay": "192.168.170.1"}))

    def test_families_mixed(self):
        self.check("mixes IPv4 and IPv6", dict(THREE, c={"underlay": "fd00::3"}))

    def test_subnet_host_bits(self):
        self.check("'10.99.0.1/24' is not a subnet", subnet="10.99.0.1/24")

    def test_subnet_too_small(self):
        # Three pairs need addresses 1..6 and, for IPv4, the broadcast address 7 kept free.
        build_config(THREE, "c", subnet="10.99.0.0/29")
        self.check(r"10.99.0.0/30 has too few addresses for pair 1 \(it needs 6\)", self_name="c", subnet="10.99.0.0/30")

    def test_port_past_range(self):
        build_config(THREE, "c", port_base=65533)
        self.check("needs port 65536", self_name="c", port_base=65534)

    def test_port_base_range(self):
        self.check("fouctl_port_base 0 is not a port", port_base=0)

    def test_ids_all_or_none(self):
        self.check("set on a but not on b, c", dict(THREE, a={"underlay": "192.168.170.1", "id": 4}))

    def test_ids_distinct(self):
        hosts = {n: dict(s, id=1) for n, s in THREE.items()}
        self.check("'a' and 'b' have the same fouctl_mesh_id 1", hosts)

    def test_name_too_long(self):
        self.check("longer than 15", name_prefix="averyverylongpr")

    def test_self_not_in_mesh(self):
        self.check("host 'x' is not one of", self_name="x")


if __name__ == "__main__":
    unittest.main()
