#include <doctest/doctest.h>

#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/ownership.hpp"

using namespace fouctl;
using namespace fouctl::backend;

TEST_SUITE("backend::ownership") {
  TEST_CASE("marks round-trip") {
    OwnerMark m{"kernel", 2001, 2002};
    auto s = format_mark(m);
    CHECK(s == "fouctl:v1 mode=kernel rx=2001 tx=2002");
    auto back = parse_mark(s);
    REQUIRE(back);
    CHECK(*back == m);
    OwnerMark automatic{"kernel", 2001, 2002, true};
    CHECK(format_mark(automatic) == "fouctl:v1 mode=kernel rx=2001 tx=2002 mtu=auto");
    CHECK(parse_mark(format_mark(automatic)) == automatic);
    // A key this version does not know is ignored: a newer fouctl's mark is still ours.
    CHECK(parse_mark("fouctl:v1 mode=kernel rx=2001 tx=2002 colour=blue") == m);
  }

  TEST_CASE("anything else is not ours") {
    CHECK_FALSE(parse_mark(""));
    CHECK_FALSE(parse_mark("my tunnel"));
    CHECK_FALSE(parse_mark("fouctl:v2 mode=kernel rx=1"));
    CHECK_FALSE(parse_mark("fouctl:v1 mode=kernel rx=0"));
    CHECK_FALSE(parse_mark("fouctl:v1 mode=kernel rx=70000"));
    CHECK_FALSE(parse_mark("fouctl:v1 mode=kernel"));
    CHECK_FALSE(parse_mark("fouctl:v1 rx=5"));
    CHECK_FALSE(parse_mark("fouctl:v1 mode=kernel rx=5 junk"));
  }
}

TEST_SUITE("backend::differences") {
  config::TunnelSpec spec() {
    config::TunnelSpec s;
    s.name = "fou2001";
    s.rx_port = 2001;
    s.tx_port = 2002;
    s.mtu = 100;
    s.peer = *util::parse_addr("127.0.0.1");
    s.routes = {*util::parse_prefix("10.0.2.2", true)};
    return s;
  }
  TunnelStatus now() {
    TunnelStatus t;
    t.mode = "kernel";
    t.rx_port = 2001;
    t.tx_port = 2002;
    t.mtu = 100;
    t.peer = *util::parse_addr("127.0.0.1");
    t.local = *util::parse_addr("127.0.0.1");
    t.routes = {*util::parse_prefix("10.0.2.2", true)};
    t.owned_routes = t.routes;
    return t;
  }

  TEST_CASE("same settings: no differences; missing routes/hand-added addresses are fine") {
    CHECK(differences(spec(), now()).empty());
    auto t = now();
    t.routes.clear();
    t.owned_routes.clear();
    t.addresses = {*util::parse_prefix("10.0.2.2", true)};
    CHECK(differences(spec(), t).empty());
  }

  TEST_CASE("each differing setting is named") {
    auto t = now();
    t.mtu = 1472;
    t.tx_port = 9;
    t.owned_routes.push_back(*util::parse_prefix("10.9.0.0/16", true));
    t.routes.push_back(*util::parse_prefix("10.8.0.0/16", true)); // a connected route: fine
    auto d = differences(spec(), t);
    REQUIRE(d.size() == 3);
    CHECK(d[0] == "transmit port is 9, not 2002");
    CHECK(d[1] == "MTU is 1472, not 100");
    CHECK(d[2].find("10.9.0.0/16") != std::string::npos);
    auto s = spec();
    s.local = *util::parse_addr("127.0.0.9");
    CHECK(differences(s, now()).size() == 1);
  }
}
