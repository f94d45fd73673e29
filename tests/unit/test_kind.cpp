#include <doctest/doctest.h>

#include <algorithm>
#include <string_view>

#include "fouctl/kind/kind.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/plan/plan.hpp"

using namespace fouctl;

namespace {

config::TunnelSpec spec(std::initializer_list<const char *> routes, const std::string &name = "t") {
  config::TunnelSpec s;
  s.name = name;
  s.rx_port = 5555;
  s.tx_port = 5556;
  s.peer = *util::parse_addr("192.0.2.1");
  s.mode = config::Mode::kernel;
  for (const char *r : routes)
    s.routes.push_back(*util::parse_prefix(r, true));
  return s;
}

} // namespace

TEST_SUITE("kind") {
  TEST_CASE("the REMOTEs' family chooses the kind; both families is no kernel tunnel") {
    auto v4 = kind::for_spec(spec({"10.0.0.0/24"}));
    REQUIRE(v4);
    CHECK(std::string_view((*v4)->name) == "ipip");
    CHECK((*v4)->ipproto == 4);
    auto v6 = kind::for_spec(spec({"fd00:2::/64", "fd00:3::2/128"}));
    REQUIRE(v6);
    CHECK(std::string_view((*v6)->name) == "sit");
    CHECK((*v6)->ipproto == 41);
    auto both = kind::for_spec(spec({"10.0.0.0/24", "fd00:2::/64"}));
    REQUIRE_FALSE(both);
    CHECK(both.error().kind == util::ErrorKind::usage);
    CHECK(both.error().hint.find("--mode userspace") != std::string::npos);
    std::string why;
    CHECK_FALSE(kind::kernel_can_carry(spec({"10.0.0.0/24", "fd00:2::/64"}), &why));
    CHECK(why.find("both families") != std::string::npos);
  }

  TEST_CASE("sit: device, FOU port and ip text") {
    auto s = spec({"fd00:2::/64"});
    const auto &k = **kind::for_spec(s);
    auto link = kind::link_spec(k, s, {});
    CHECK(link.kind == "sit");
    CHECK(link.tunnel.proto == 41);
    CHECK(link.tunnel.encap_dport == 5556);
    CHECK(kind::ip_link_add(k, s, {}).find(" type sit remote 192.0.2.1 ") != std::string::npos);
    auto port = kind::fou_port(k, 5555);
    CHECK(port.ipproto == 41);
    CHECK(port.ip_command("add") == "ip fou add port 5555 ipproto 41");
    auto m = nl::build_ipip_create(link);
    REQUIRE(m);
    auto bytes = m->bytes();
    const std::uint8_t sit[] = {'s', 'i', 't', 0}; // IFLA_INFO_KIND
    CHECK(std::search(bytes.begin(), bytes.end(), std::begin(sit), std::end(sit)) != bytes.end());
  }

  TEST_CASE("ipip: the seed's device as ip text") {
    auto s = spec({"10.0.2.2/32"}, "fou2001");
    s.mtu = 100;
    s.peer = *util::parse_addr("127.0.0.1");
    s.tx_port = 2002;
    const auto &k = **kind::for_spec(s);
    CHECK(kind::ip_link_add(k, s, *util::parse_addr("127.0.0.1")) ==
          "ip link add name fou2001 mtu 100 type ipip local 127.0.0.1 remote 127.0.0.1 ttl 64 "
          "encap fou encap-sport auto encap-dport 2002");
  }

  TEST_CASE("plans name the kind; another kind is a new device") {
    auto v6 = spec({"fd00:2::/64"});
    auto p = plan::make_plan({}, {{"t", plan::TunnelState{v6, {}, "sit"}}});
    REQUIRE(p.size() == 1);
    auto text = plan::describe(p[0]);
    CHECK(text.find("type sit") != std::string::npos);
    CHECK(text.find("ip fou add port 5555 ipproto 41") != std::string::npos);
    // Observed ipip, desired sit (its REMOTEs became IPv6): remove and create.
    plan::State have{{"t", plan::TunnelState{spec({"10.0.0.0/24"}), {}, "ipip"}}};
    plan::State want{{"t", plan::TunnelState{v6, {}, "sit"}}};
    auto q = plan::make_plan(have, want);
    REQUIRE(q.size() == 2);
    CHECK(q[0].kind == plan::ActionKind::remove);
    CHECK(plan::describe(q[0]).find("ipproto 4") != std::string::npos);
    CHECK(q[1].kind == plan::ActionKind::create);
  }
}

TEST_CASE("kind: check refuses a kernel tunnel of both families, with the key named") {
  auto s = spec({"10.0.0.0/24", "fd00:2::/64"});
  auto r = config::validate(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("--mode kernel: REMOTEs of both families") == 0);
  s.mode = config::Mode::automatic;
  CHECK(config::validate(s));
}

TEST_CASE("kind: an IPv6 peer makes ip6tnl with a fou6 port, the mode from the REMOTEs") {
  auto s = spec({"10.0.0.0/24"});
  s.peer = *util::parse_addr("2001:db8::2");
  auto k4 = kind::for_spec(s);
  REQUIRE(k4);
  CHECK(std::string_view((*k4)->name) == "ipip6");
  auto link = kind::link_spec(**k4, s, *util::parse_addr("2001:db8::1"));
  CHECK(link.kind == "ip6tnl");
  CHECK(link.tunnel.proto == 4);
  CHECK(link.tunnel.ip6_flags == 1); // encaplimit none
  s.mtu = 1452;
  CHECK(kind::ip_link_add(**k4, s, *util::parse_addr("2001:db8::1")) ==
        "ip link add name t mtu 1452 type ip6tnl mode ipip6 local 2001:db8::1 remote 2001:db8::2 "
        "hoplimit 64 encaplimit none encap fou encap-sport auto encap-dport 5556");
  CHECK(kind::fou_port(**k4, 5555).ip_command("add") == "ip fou add port 5555 ipproto 4 -6");
  auto m = nl::build_ipip_create(link);
  REQUIRE(m);
  auto bytes = m->bytes();
  const std::uint8_t remote[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  CHECK(std::search(bytes.begin(), bytes.end(), std::begin(remote), std::end(remote)) != bytes.end());

  s.routes = {*util::parse_prefix("fd00:2::/64", true)};
  auto k6 = kind::for_spec(s);
  REQUIRE(k6);
  CHECK(std::string_view((*k6)->name) == "ip6ip6");
  CHECK((*k6)->ipproto == 41);
  // A dumped ip6tnl device is told apart by its inner protocol.
  nl::LinkInfo l;
  l.kind = "ip6tnl";
  l.tunnel = nl::IptunParams{};
  l.tunnel->proto = 41;
  CHECK(kind::of_link(l) == *k6);
  l.tunnel->proto = 4;
  CHECK(kind::of_link(l) == *k4);
}

TEST_CASE("kind: GUE is the device's encap type and a GUE port without IPPROTO") {
  auto s = spec({"10.0.0.0/24"});
  s.encap = config::Encap::gue;
  const auto &k = **kind::for_spec(s);
  auto link = kind::link_spec(k, s, {});
  CHECK(link.tunnel.encap_type == 2); // TUNNEL_ENCAP_GUE
  auto port = kind::fou_port(k, s);
  CHECK(port.type == 2); // FOU_ENCAP_GUE
  CHECK(port.ip_command("add") == "ip fou add port 5555 gue");
  // Kernels from 6.19 refuse FOU_ATTR_IPPROTO 0: a GUE port's ADD carries no IPPROTO (3).
  auto m = nl::build_fou_add(30, port);
  REQUIRE(m);
  auto bytes = m->bytes();
  bool has_ipproto = false;
  for (std::size_t at = 16 + 4; at + 4 <= bytes.size();) { // nlmsghdr, genlmsghdr
    const std::size_t len = bytes[at] | bytes[at + 1] << 8;
    const int type = bytes[at + 2] | bytes[at + 3] << 8;
    has_ipproto = has_ipproto || type == 3;
    REQUIRE(len >= 4);
    at += (len + 3) & ~std::size_t{3};
  }
  CHECK_FALSE(has_ipproto);
  CHECK(kind::ip_link_add(k, s, {}).find(" encap gue encap-sport auto encap-dport 5556") !=
        std::string::npos);
  // sit and ip6tnl take GUE the same way.
  auto s6 = spec({"fd00:2::/64"});
  s6.encap = config::Encap::gue;
  s6.peer = *util::parse_addr("2001:db8::2");
  CHECK(kind::fou_port(**kind::for_spec(s6), s6).ip_command("add") == "ip fou add port 5555 gue -6");
}

TEST_CASE("kind: another encapsulation is a new tunnel, in plans of either mode") {
  for (auto mode : {config::Mode::kernel, config::Mode::userspace}) {
    auto fou = spec({"10.0.0.0/24"});
    fou.mode = mode;
    auto gue = fou;
    gue.encap = config::Encap::gue;
    auto p = plan::make_plan({{"t", plan::TunnelState{fou, {}, "ipip"}}},
                             {{"t", plan::TunnelState{gue, {}, "ipip"}}});
    REQUIRE(p.size() == 2);
    CHECK(p[0].kind == plan::ActionKind::remove);
    CHECK(p[1].kind == plan::ActionKind::create);
  }
}

TEST_CASE("kind: an MTU that now follows the underlay rewrites the mark, in place") {
  auto have = spec({"10.0.0.0/24"});
  have.mtu = 8972;
  auto want = have;
  want.mtu_auto = true;
  auto p = plan::make_plan({{"t", plan::TunnelState{have, {}, "ipip"}}},
                           {{"t", plan::TunnelState{want, {}, "ipip"}}});
  REQUIRE(p.size() == 1);
  CHECK(p[0].kind == plan::ActionKind::set_mtu);
  auto after = plan::apply_actions({{"t", plan::TunnelState{have, {}, "ipip"}}}, p);
  CHECK(plan::make_plan(after, {{"t", plan::TunnelState{want, {}, "ipip"}}}).empty());
}

TEST_CASE("config: encap and the MTU each family and encapsulation leaves of 1500") {
  CHECK(config::parse_encap("gue") == config::Encap::gue);
  CHECK(config::parse_encap("fou") == config::Encap::fou);
  auto bad = config::parse_encap("GUE");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message == "encap 'GUE' is not one of fou, gue");
  const auto v4 = *util::parse_addr("192.0.2.1"), v6 = *util::parse_addr("2001:db8::1");
  CHECK(config::default_mtu(v4) == 1472);
  CHECK(config::default_mtu(v4, config::Encap::gue) == 1468);
  CHECK(config::default_mtu(v6) == 1452);
  CHECK(config::default_mtu(v6, config::Encap::gue) == 1448);
  auto s = spec({"10.0.0.0/24"});
  s.mode = config::Mode::userspace;
  s.encap = config::Encap::gue;
  s.framing = config::Framing::tun_pi;
  auto r = config::validate(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("--framing tun-pi (socat's framing) and --encap gue") == 0);
}
