#include <doctest/doctest.h>

#include <algorithm>

#include "fouctl/doctor/checks.hpp"
#include "fouctl/doctor/procfs.hpp"

using namespace fouctl;
using doctor::Facts;
using doctor::Finding;
using doctor::Severity;

namespace {

// A healthy relay tunnel over veth0 (MTU 1500) to 192.0.2.2.
Facts healthy(const std::string &mode = "userspace") {
  Facts f;
  auto &t = f.tunnel;
  t.name = "fou5555";
  t.mode = mode;
  t.rx_port = 5555;
  t.tx_port = 5556;
  t.peer = *util::parse_addr("192.0.2.2");
  t.mtu = 1472;
  t.pid = 42;
  t.routes = {*util::parse_prefix("10.0.0.2/32", true)};
  t.counters.rx_packets = 3;
  t.counters.tx_packets = 3;
  f.modules = {{"fou", "CONFIG_NET_FOU", doctor::ModuleFacts::State::loaded},
               {"ipip", "CONFIG_NET_IPIP", doctor::ModuleFacts::State::available}};
  f.path.dev = "veth0";
  f.path.dev_mtu = 1500;
  f.path.prefsrc = *util::parse_addr("192.0.2.1");
  f.rp_dev = t.name;
  f.rp_filter_all = 0;
  f.rp_filter_dev = 0;
  f.rp_drops = 0;
  f.forwarding = true;
  f.firewall.outcome = doctor::FirewallFacts::Outcome::accepted;
  doctor::SocketFacts s;
  s.local = *util::parse_addr("0.0.0.0");
  s.port = 5555;
  s.inode = 99;
  s.pid = 42;
  f.sockets = {s};
  return f;
}

Finding only(const Facts &f, const std::string &check) {
  auto all = doctor::run_checks(f);
  auto it = std::find_if(all.begin(), all.end(), [&](const Finding &x) { return x.check == check; });
  REQUIRE(it != all.end());
  return *it;
}

} // namespace

TEST_SUITE("doctor::checks") {
  TEST_CASE("a healthy tunnel: every check says ok, in table order") {
    auto all = doctor::run_checks(healthy());
    REQUIRE(all.size() == 8); // offload is for kernel tunnels only
    for (const auto &f : all)
      CHECK_MESSAGE(f.severity == Severity::ok, f.check << ": " << f.message);
    CHECK(all.front().check == "kernel");
    CHECK(all.back().check == "counters");
    auto k = healthy("kernel");
    k.tunnel.kind = "ipip";
    k.tunnel.offload = true;
    k.fou_ports_read = true;
    k.fou_port = nl::FouPort{};
    k.fou_port->port = 5555;
    k.sockets[0].pid = 0;
    auto kall = doctor::run_checks(k);
    CHECK(kall.size() == 9);
    for (const auto &f : kall)
      CHECK_MESSAGE(f.severity == Severity::ok, f.check << ": " << f.message);
  }

  TEST_CASE("no route to the peer fails and names the kernel's reason") {
    auto f = healthy();
    f.path = {};
    f.path.error = "Network is unreachable";
    auto r = only(f, "route");
    CHECK(r.severity == Severity::fail);
    CHECK(r.message.find("192.0.2.2") != std::string::npos);
    CHECK(r.evidence.at(0).find("Network is unreachable") != std::string::npos);
    CHECK(r.fix.find("ip route add 192.0.2.2") == 0);
    f.path.error.clear();
    f.tunnel.local = *util::parse_addr("198.51.100.1");
    f.path.dev = "veth0";
    f.path.local_error = "Invalid argument";
    CHECK(only(f, "route").severity == Severity::fail);
    CHECK(only(f, "route").fix == "ip address add 198.51.100.1/32 dev veth0");
  }

  TEST_CASE("an MTU that does not fit the underlay fails with the one that would") {
    auto f = healthy();
    f.path.dev_mtu = 1200;
    auto r = only(f, "mtu");
    CHECK(r.severity == Severity::fail);
    CHECK(r.message.find("1472 + 28 headers = 1500 > 1200; 1172 would fit") != std::string::npos);
    CHECK(r.fix == "ip link set dev fou5555 mtu 1172  (and give 1172 where the tunnel is defined)");
    f.tunnel.mtu_auto = true;
    CHECK(only(f, "mtu").fix.find("ip link set dev fou5555 mtu 1172  (or the same fouctl up") == 0);
    f.path.route_mtu = 1600; // a route's mtu wins over the device's
    CHECK(only(f, "mtu").severity == Severity::ok);
    f.path.route_mtu = 0;
    f.tunnel.encap = "gue";
    f.path.dev_mtu = 1503; // 1472 + 32 = 1504
    CHECK(only(f, "mtu").severity == Severity::fail);
    f.path.dev_mtu = 1504;
    CHECK(only(f, "mtu").severity == Severity::ok);
  }

  TEST_CASE("strict rp_filter: warn before drops, fail once the counter shows them") {
    auto f = healthy();
    f.rp_filter_dev = 1;
    CHECK(only(f, "rp_filter").severity == Severity::warn);
    f.rp_drops = 4;
    auto r = only(f, "rp_filter");
    CHECK(r.severity == Severity::fail);
    CHECK(r.fix.find("sysctl -w net.ipv4.conf.fou5555.rp_filter=2") == 0);
    // The larger value counts: all=1 makes a device at 0 strict; the device at 2 is loose.
    f.rp_filter_dev = 0;
    f.rp_filter_all = 1;
    r = only(f, "rp_filter");
    CHECK(r.severity == Severity::fail);
    CHECK(r.evidence.at(0).find("all.rp_filter = 1") != std::string::npos);
    f.rp_filter_dev = 2;
    CHECK(only(f, "rp_filter").severity == Severity::warn); // loose, with drops
    f.rp_drops = 0;
    CHECK(only(f, "rp_filter").severity == Severity::ok);
    f.tunnel.routes = {*util::parse_prefix("2001:db8::/64", true)};
    auto all = doctor::run_checks(f);
    CHECK(std::none_of(all.begin(), all.end(), [](auto &x) { return x.check == "rp_filter"; }));
  }

  TEST_CASE("forwarding off warns only for a tunnel that routes subnets") {
    auto f = healthy();
    f.forwarding = false;
    f.forwarding_keys = {"net.ipv4.ip_forward"};
    CHECK(only(f, "forwarding").severity == Severity::ok);
    f.tunnel.routes.push_back(*util::parse_prefix("10.9.0.0/16", true));
    auto r = only(f, "forwarding");
    CHECK(r.severity == Severity::warn);
    CHECK(r.message.find("10.9.0.0/16") != std::string::npos);
    CHECK(r.fix.find("sysctl -w net.ipv4.ip_forward=1") == 0);
  }

  TEST_CASE("the firewall's verdict: drop and reject fail, an unreadable ruleset warns") {
    auto f = healthy();
    f.firewall.outcome = doctor::FirewallFacts::Outcome::dropped;
    f.firewall.evidence = "table inet filter chain input: udp dport 5555 drop";
    f.firewall.fix = "nft delete rule inet filter input handle 4";
    auto r = only(f, "firewall");
    CHECK(r.severity == Severity::fail);
    CHECK(r.evidence.at(0) == f.firewall.evidence);
    CHECK(r.fix == f.firewall.fix);
    f.firewall.outcome = doctor::FirewallFacts::Outcome::rejected;
    CHECK(only(f, "firewall").message.find("rejects") != std::string::npos);
    f.firewall.outcome = doctor::FirewallFacts::Outcome::unknown;
    CHECK(only(f, "firewall").severity == Severity::warn);
    f.firewall.outcome = doctor::FirewallFacts::Outcome::unread;
    CHECK(only(f, "firewall").severity == Severity::warn);
    // BPF decapsulates before netfilter sees the datagram.
    auto b = healthy("bpf");
    b.firewall.outcome = doctor::FirewallFacts::Outcome::dropped;
    CHECK(only(b, "firewall").severity == Severity::ok);
  }

  TEST_CASE("kernel modules: missing fou fails a kernel tunnel's check, warns for a relay") {
    auto f = healthy();
    f.modules[0].state = doctor::ModuleFacts::State::missing;
    f.modules[0].why = "not found in /lib/modules/6.1.0";
    auto r = only(f, "kernel");
    CHECK(r.severity == Severity::warn);
    CHECK(r.message.find("CONFIG_NET_FOU") != std::string::npos);
    CHECK(r.evidence.back() == "fou (CONFIG_NET_FOU): not found in /lib/modules/6.1.0");
    f.tunnel.mode = "bpf";
    CHECK(only(f, "kernel").severity == Severity::ok);
    f.tunnel.mode = "kernel";
    CHECK(only(f, "kernel").severity == Severity::fail);
  }

  TEST_CASE("ports: a foreign FOU port, a port that is not open, another socket, drops") {
    auto f = healthy("kernel");
    f.tunnel.kind = "ipip";
    f.sockets[0].pid = 0;
    f.fou_ports_read = true;
    auto r = only(f, "port");
    CHECK(r.severity == Severity::fail);
    CHECK(r.message.find("not open") != std::string::npos);
    f.fou_port = nl::FouPort{};
    f.fou_port->port = 5555;
    f.fou_port->ipproto = 41; // made for sit
    r = only(f, "port");
    CHECK(r.severity == Severity::fail);
    CHECK(r.evidence.at(0) == "found: " + f.fou_port->ip_command("add"));
    CHECK(r.evidence.at(1).find("ipproto 4") != std::string::npos);
    f.fou_port->ipproto = 4;
    f.tunnel.encap = "gue"; // a direct port for a GUE tunnel
    CHECK(only(f, "port").severity == Severity::fail);
    f.fou_port->type = 2;
    CHECK(only(f, "port").severity == Severity::ok);

    auto u = healthy();
    u.sockets[0].drops = 17;
    r = only(u, "port");
    CHECK(r.severity == Severity::warn);
    CHECK(r.message.find("17") != std::string::npos);
    u.sockets[0].pid = 7; // not the relay's
    u.sockets[0].comm = "nc";
    r = only(u, "port");
    CHECK(r.severity == Severity::fail);
    CHECK(r.evidence.at(0).find("pid 7 ('nc')") != std::string::npos);
    u.sockets.clear(); // the relay holds no socket at all
    CHECK(only(u, "port").severity == Severity::fail);
    // Not root: whose socket it is cannot be seen; that is no finding.
    u.sockets = healthy().sockets;
    u.sockets[0].pid = doctor::k_pid_unknown;
    r = only(u, "port");
    CHECK(r.severity == Severity::ok);
    CHECK(r.message.find("could not be seen") != std::string::npos);
    auto b = healthy("bpf");
    b.sockets[0].pid = 7;
    CHECK(only(b, "port").severity == Severity::warn);
    b.sockets.clear();
    CHECK(only(b, "port").severity == Severity::ok);
  }

  TEST_CASE("offload on with a loopback peer warns") {
    auto f = healthy("kernel");
    f.tunnel.kind = "ipip";
    f.tunnel.peer = *util::parse_addr("127.0.0.1");
    f.tunnel.offload = true;
    auto r = only(f, "offload");
    CHECK(r.severity == Severity::warn);
    CHECK(r.fix.find("ethtool -K fou5555 tx off") == 0);
    f.tunnel.offload = false;
    CHECK(only(f, "offload").severity == Severity::ok);
  }

  TEST_CASE("counters: one-way traffic and drops warn") {
    auto f = healthy();
    f.tunnel.counters.rx_packets = 0;
    f.tunnel.counters.tx_packets = 12;
    auto r = only(f, "counters");
    CHECK(r.severity == Severity::warn);
    CHECK(r.message.find("one-way") != std::string::npos);
    f.tunnel.counters.rx_packets = 12;
    f.tunnel.drops = {{"malformed", 2}, {"too_big", 0}};
    r = only(f, "counters");
    CHECK(r.severity == Severity::warn);
    CHECK(r.evidence == std::vector<std::string>{"malformed 2"});
  }

  TEST_CASE("every row has a name, a description and functions") {
    for (const auto &c : doctor::checks()) {
      CHECK(!c.name.empty());
      CHECK(!c.what.empty());
      CHECK((c.applies != nullptr));
      CHECK((c.run != nullptr));
    }
  }
}

TEST_SUITE("doctor::procfs") {
  TEST_CASE("/proc/net/udp: the sockets on one port, address bytes and drops") {
    const char *text =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "  381: 0100007F:15B3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31337 2 0000000000000000 5\n"
        "  382: 00000000:15B4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31338 2 0000000000000000 0\n"
        "  383: garbage\n";
    auto v = doctor::parse_proc_udp(text, 4, 5555);
    REQUIRE(v.size() == 1);
    CHECK(v[0].local.to_string() == "127.0.0.1");
    CHECK(v[0].inode == 31337);
    CHECK(v[0].drops == 5);
    CHECK(doctor::parse_proc_udp(text, 4, 1).empty());
    const char *text6 =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "  100: 00000000000000000000000001000000:15B3 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 0\n";
    auto w = doctor::parse_proc_udp(text6, 6, 5555);
    REQUIRE(w.size() == 1);
    CHECK(w[0].local.to_string() == "::1");
  }

  TEST_CASE("/proc/net/netstat: a counter by group and name") {
    const char *text = "TcpExt: SyncookiesSent IPReversePathFilter\nTcpExt: 0 7\n"
                       "IpExt: InNoRoutes\nIpExt: 1\n";
    CHECK(doctor::parse_netstat(text, "TcpExt", "IPReversePathFilter") == 7u);
    CHECK(doctor::parse_netstat(text, "IpExt", "InNoRoutes") == 1u);
    CHECK(!doctor::parse_netstat(text, "TcpExt", "Nope"));
    CHECK(!doctor::parse_netstat("TcpExt: A\n", "TcpExt", "A"));
  }

  TEST_CASE("text another process chose is printed as printable ASCII, cut short") {
    CHECK(doctor::printable("ab\x1b[2Jc\n", 16) == "ab?[2Jc?");
    CHECK(doctor::printable(std::string(40, 'x'), 16).size() == 16);
  }
}
