#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "fouctl/plan/plan.hpp"

using namespace fouctl;
using plan::ActionKind;

namespace {

util::Prefix pfx(const std::string &s) { return *util::parse_prefix(s, false); }

config::TunnelSpec spec(const std::string &name, std::uint16_t rx, config::Mode mode) {
  config::TunnelSpec s;
  s.name = name;
  s.rx_port = rx;
  s.tx_port = static_cast<std::uint16_t>(rx + 1);
  s.peer = *util::parse_addr("192.0.2.1");
  s.routes = {pfx("10." + std::to_string(rx % 250) + ".0.0/24")};
  s.mode = mode;
  return s;
}

plan::State state(std::initializer_list<config::TunnelSpec> specs) {
  plan::State s;
  for (const auto &x : specs)
    s[x.name] = plan::TunnelState{x, {}};
  return s;
}

// Order of routes and addresses does not matter to the system.
plan::State normalized(plan::State s) {
  for (auto &[n, t] : s) {
    std::sort(t.spec.routes.begin(), t.spec.routes.end());
    std::sort(t.spec.addresses.begin(), t.spec.addresses.end());
  }
  return s;
}

// `observed`: as read from the system, where a device may have been set down by hand and a
// relay's device may have another MTU than the relay itself.
plan::State random_state(std::mt19937 &rng, bool observed = false) {
  plan::State s;
  std::uniform_int_distribution<int> count(0, 5), coin(0, 1), small(0, 3);
  int n = count(rng);
  for (int i = 0; i < n; ++i) {
    auto mode = coin(rng) ? config::Mode::kernel : config::Mode::userspace;
    auto t = spec("t" + std::to_string(small(rng) + 3 * i), static_cast<std::uint16_t>(2000 + 2 * small(rng) + 10 * i), mode);
    t.mtu = coin(rng) ? 1472 : 1400;
    t.tx_port = static_cast<std::uint16_t>(3000 + small(rng));
    t.local = *util::parse_addr(coin(rng) ? "192.0.2.10" : "192.0.2.11");
    t.routes.clear();
    for (int r = 0; r <= small(rng); ++r)
      t.routes.push_back(pfx("10." + std::to_string(i) + "." + std::to_string(r) + ".0/24"));
    for (int a = 0; a < small(rng); ++a)
      t.addresses.push_back(pfx("10.200." + std::to_string(i) + "." + std::to_string(a + 1) + "/32"));
    plan::TunnelState ts{t, {}};
    if (observed) {
      ts.down = coin(rng) && coin(rng);
      if (mode == config::Mode::userspace && coin(rng))
        ts.relay_mtu = t.mtu == 1472 ? 1400 : 1472;
    }
    s[t.name] = ts;
  }
  return s;
}

} // namespace

TEST_SUITE("plan::plan") {
  TEST_CASE("empty to empty, and a state to itself, needs nothing") {
    CHECK(plan::make_plan({}, {}).empty());
    auto s = state({spec("a", 2001, config::Mode::kernel), spec("b", 2003, config::Mode::userspace)});
    CHECK(plan::make_plan(s, s).empty());
  }

  TEST_CASE("create, prune, and the order: removals first, creations last") {
    auto have = state({spec("old", 2001, config::Mode::kernel)});
    auto want = state({spec("new", 2003, config::Mode::kernel)});
    auto p = plan::make_plan(have, want);
    REQUIRE(p.size() == 2);
    CHECK(p[0].kind == ActionKind::remove);
    CHECK(p[0].tunnel == "old");
    CHECK(p[1].kind == ActionKind::create);
    CHECK(p[1].tunnel == "new");
  }

  TEST_CASE("tx checksum offload changes in place, and its inverse restores it") {
    auto k = spec("k", 2001, config::Mode::kernel);
    k.offload = config::Offload::off;
    auto k2 = k;
    k2.offload = config::Offload::on;
    auto p = plan::make_plan(state({k}), state({k2}));
    REQUIRE(p.size() == 1);
    CHECK(p[0].kind == ActionKind::set_offload);
    CHECK(plan::describe(p[0]) == "ethtool -K k tx on");
    auto back = plan::inverse(p[0]);
    CHECK(plan::describe(back) == "ethtool -K k tx off");
    CHECK(plan::apply_actions(state({k}), p) == state({k2}));
    CHECK(plan::apply_actions(state({k2}), {back}) == state({k}));
    // A relay has no such setting.
    auto u = spec("u", 2003, config::Mode::userspace);
    auto u2 = u;
    u2.offload = config::Offload::on;
    CHECK(plan::make_plan(state({u}), state({u2})).empty());
    // A create says when it turns offload off.
    auto lo = spec("lo", 2005, config::Mode::kernel);
    lo.peer = *util::parse_addr("127.0.0.1");
    auto c = plan::make_plan(state({}), state({lo}));
    REQUIRE(c.size() == 1);
    CHECK(plan::describe(c[0]).find("; ethtool -K lo tx off") != std::string::npos);
    CHECK(plan::describe(plan::make_plan(state({}), state({k2}))[0]).find("ethtool") == std::string::npos);
  }

  TEST_CASE("kernel tunnels change in place; relays restart") {
    auto k = spec("k", 2001, config::Mode::kernel);
    auto k2 = k;
    k2.mtu = 1400;
    k2.tx_port = 4000;
    k2.rx_port = 2005;
    k2.routes.push_back(pfx("10.99.0.0/16"));
    auto p = plan::make_plan(state({k}), state({k2}));
    REQUIRE(p.size() == 4);
    CHECK(p[0].kind == ActionKind::set_mtu);
    CHECK(p[1].kind == ActionKind::change_encap);
    CHECK(p[2].kind == ActionKind::change_port);
    CHECK(p[3].kind == ActionKind::add_route);
    CHECK(plan::describe(p[0]) == "ip link set dev k mtu 1400");

    auto u = spec("u", 2001, config::Mode::userspace);
    auto u2 = u;
    u2.mtu = 1400;
    auto q = plan::make_plan(state({u}), state({u2}));
    REQUIRE(q.size() == 2);
    CHECK(q[0].kind == ActionKind::remove);
    CHECK(q[1].kind == ActionKind::create);
    // Routes and addresses of a relay's device still change in place.
    auto u3 = u;
    u3.addresses = {pfx("10.1.1.1/32")};
    auto r = plan::make_plan(state({u}), state({u3}));
    REQUIRE(r.size() == 1);
    CHECK(r[0].kind == ActionKind::add_address);
  }

  TEST_CASE("a device set down or given another MTU by hand is repaired in place") {
    for (auto mode : {config::Mode::kernel, config::Mode::userspace}) {
      CAPTURE(static_cast<int>(mode));
      auto want = spec("t", 2001, mode);
      plan::State have = state({want});
      have["t"].down = true;
      have["t"].spec.mtu = 1400;           // the device's MTU, set by hand
      if (mode == config::Mode::userspace)
        have["t"].relay_mtu = want.mtu;    // the relay still runs with the asked one
      auto p = plan::make_plan(have, state({want}));
      REQUIRE(p.size() == 2);
      CHECK(p[0].kind == ActionKind::link_up);
      CHECK(plan::describe(p[0]) == "ip link set dev t up");
      CHECK(p[1].kind == ActionKind::set_mtu);
      CHECK(plan::describe(p[1]) == "ip link set dev t mtu 1472");
      CHECK(plan::inverse(p[0]).kind == ActionKind::link_down);
      CHECK(plan::apply_actions(have, p) == state({want}));
    }
    // A relay started with another MTU restarts, whatever its device says.
    auto u = spec("u", 2001, config::Mode::userspace);
    plan::State have = state({u});
    have["u"].relay_mtu = 1400;
    have["u"].spec.mtu = 1400;
    auto q = plan::make_plan(have, state({u}));
    REQUIRE(q.size() == 2);
    CHECK(q[0].kind == ActionKind::remove);
    CHECK(q[1].kind == ActionKind::create);
    // A relay on the user's own TUN device: its state is the user's.
    auto ext = spec("e", 2003, config::Mode::userspace);
    ext.tun_device = "tun7";
    plan::State eh = state({ext});
    eh["e"].down = true;
    CHECK(plan::make_plan(eh, state({ext})).empty());
  }

  TEST_CASE("a route moving between tunnels is deleted before it is added") {
    auto a = spec("a", 2001, config::Mode::kernel);
    auto b = spec("b", 2003, config::Mode::kernel);
    auto a2 = a, b2 = b;
    a2.routes = {pfx("10.50.0.0/24")};
    b2.routes = {b.routes[0], a.routes[0]};
    auto p = plan::make_plan(state({a, b}), state({a2, b2}));
    auto del = std::find_if(p.begin(), p.end(), [](auto &x) { return x.kind == ActionKind::del_route; });
    auto add = std::find_if(p.begin(), p.end(), [&](auto &x) {
      return x.kind == ActionKind::add_route && x.tunnel == "b";
    });
    REQUIRE(del != p.end());
    REQUIRE(add != p.end());
    CHECK(del < add);
  }

  TEST_CASE("a mode change recreates; a foreign route satisfies a wanted one") {
    auto k = spec("x", 2001, config::Mode::kernel);
    auto u = k;
    u.mode = config::Mode::userspace;
    auto p = plan::make_plan(state({k}), state({u}));
    REQUIRE(p.size() == 2);
    CHECK(p[0].kind == ActionKind::remove);
    CHECK(p[1].kind == ActionKind::create);

    plan::State have = state({k});
    have["x"].spec.routes.clear();
    have["x"].foreign_routes = k.routes; // e.g. the connected route of an address
    CHECK(plan::make_plan(have, state({k})).empty());
  }

  TEST_CASE("a loopback tunnel without local accepts the 127.0.0.N it was given") {
    auto want = spec("l", 2001, config::Mode::kernel);
    want.peer = *util::parse_addr("127.0.0.1");
    auto have = want;
    have.local = *util::parse_addr("127.0.0.3");
    CHECK(plan::same_outer(have, want));
    CHECK(plan::make_plan(state({have}), state({want})).empty());
    want.local = *util::parse_addr("127.0.0.2");
    CHECK_FALSE(plan::same_outer(have, want));
  }

  TEST_CASE("inverse undoes each action") {
    auto a = spec("a", 2001, config::Mode::kernel);
    auto b = a;
    b.mtu = 1300;
    b.tx_port = 9;
    b.addresses = {pfx("10.9.9.9/32")};
    auto s0 = state({a});
    auto p = plan::make_plan(s0, state({b}));
    REQUIRE_FALSE(p.empty());
    auto s1 = plan::apply_actions(s0, p);
    std::vector<plan::Action> undo;
    for (auto it = p.rbegin(); it != p.rend(); ++it)
      undo.push_back(plan::inverse(*it));
    CHECK(normalized(plan::apply_actions(s1, undo)) == normalized(s0));
  }

  TEST_CASE("generated states: plan(a, b) applied to a gives b, and plan(b, b) is empty") {
    std::mt19937 rng(20261122);
    for (int i = 0; i < 500; ++i) {
      auto a = random_state(rng, true);
      auto b = random_state(rng);
      auto p = plan::make_plan(a, b);
      auto got = plan::apply_actions(a, p);
      CHECK(normalized(got) == normalized(b));
      CHECK(plan::make_plan(b, b).empty());
      CHECK(plan::make_plan(got, b).empty());
    }
  }
}

TEST_SUITE("config::offload") {
  TEST_CASE("auto is off for a loopback peer (the seed's custom link), on otherwise") {
    config::TunnelSpec s;
    s.peer = *util::parse_addr("127.0.0.1");
    CHECK_FALSE(config::tx_checksum_offload(s));
    s.peer = *util::parse_addr("::1");
    CHECK_FALSE(config::tx_checksum_offload(s));
    s.peer = *util::parse_addr("192.0.2.1");
    CHECK(config::tx_checksum_offload(s));
    s.offload = config::Offload::off;
    CHECK_FALSE(config::tx_checksum_offload(s));
    s.peer = *util::parse_addr("127.0.0.1");
    s.offload = config::Offload::on;
    CHECK(config::tx_checksum_offload(s));
    CHECK(*config::parse_offload("auto") == config::Offload::automatic);
    CHECK(std::string(config::to_string(config::Offload::off)) == "off");
    auto bad = config::parse_offload("yes");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "offload must be auto, on or off, not 'yes'");
  }
}
