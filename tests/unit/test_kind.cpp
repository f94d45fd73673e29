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
