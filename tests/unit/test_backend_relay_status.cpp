#include <doctest/doctest.h>

#include "fouctl/backend/userspace.hpp"

using namespace fouctl;

namespace {
const char *k_reply =
    R"({"pid":42,"uid":65534,"name":"fou2001","rx_port":2001,"tx_port":2002,"peer":"127.0.0.1",)"
    R"("local":"","mtu":100,"framing":"tun-pi","tun_device":"","peer_port_fixed":false,)"
    R"("counters":{"rx_packets":5,"rx_bytes":420,"tx_packets":6,"tx_bytes":504},)"
    R"("drops":{"foreign_source":1,"malformed":2,"too_big":3,"tun_write":0,"udp_send":4}})";

config::TunnelSpec spec() {
  config::TunnelSpec s;
  s.name = "fou2001";
  s.rx_port = 2001;
  s.tx_port = 2002;
  s.mtu = 100;
  s.peer = *util::parse_addr("127.0.0.1");
  s.framing = config::Framing::tun_pi;
  s.routes = {*util::parse_prefix("10.0.2.2", true)};
  return s;
}
} // namespace

TEST_SUITE("backend::relay_status") {
  TEST_CASE("a relay's status reply, drops split by direction") {
    auto s = backend::parse_relay_status("fou2001", k_reply);
    REQUIRE(s);
    CHECK(s->mode == "userspace");
    CHECK(s->pid == 42);
    CHECK(s->uid == 65534);
    CHECK(s->mtu == 100);
    CHECK(s->framing == "tun-pi");
    CHECK_FALSE(s->local.is_set());
    CHECK(s->counters.rx_packets == 5);
    CHECK(s->counters.tx_bytes == 504);
    CHECK(s->counters.rx_dropped == 3); // foreign_source + malformed: on the way in
    CHECK(s->counters.tx_dropped == 7); // too_big + udp_send: on the way out
    CHECK(s->drops.size() == 5);
  }

  TEST_CASE("unreadable or incomplete replies are errors, not crashes") {
    CHECK_FALSE(backend::parse_relay_status("x", "not json"));
    CHECK_FALSE(backend::parse_relay_status("x", "[1,2]"));
    CHECK_FALSE(backend::parse_relay_status("x", R"({"pid": 1})"));
    CHECK_FALSE(backend::parse_relay_status("x", R"({"pid": "one"})"));
  }

  TEST_CASE("differences name each setting; the same settings give none") {
    auto now = *backend::parse_relay_status("fou2001", k_reply);
    CHECK(backend::relay_differences(spec(), now).empty());
    auto other = spec();
    other.mtu = 1400;
    other.framing = config::Framing::raw;
    auto d = backend::relay_differences(other, now);
    REQUIRE(d.size() == 2);
    CHECK(d[0] == "MTU is 100, not 1400");
    CHECK(d[1] == "framing is tun-pi, not raw");
  }
}
