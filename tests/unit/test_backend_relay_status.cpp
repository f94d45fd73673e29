#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fouctl/backend/userspace.hpp"

using namespace fouctl;

namespace {
const char *k_reply =
    R"({"pid":42,"uid":65534,"name":"fou2001","rx_port":2001,"tx_port":2002,"peer":"127.0.0.1",)"
    R"("local":"","mtu":100,"framing":"tun-pi","tun_device":"","peer_port_fixed":false,)"
    R"("counters":{"rx_packets":5,"rx_bytes":420,"tx_packets":6,"tx_bytes":504},)"
    R"("drops":{"foreign_source":1,"malformed":2,"too_big":3,"tun_write":0,"udp_send":4}})";

// k_reply with the text `from` replaced by `to` (which must be there).
std::string reply_with(const std::string &from, const std::string &to) {
  std::string reply = k_reply;
  auto at = reply.find(from);
  REQUIRE(at != std::string::npos);
  return reply.replace(at, from.size(), to);
}

// The message of the error a reply must give.
std::string refusal(const std::string &reply) {
  auto s = backend::parse_relay_status("fou2001", reply);
  REQUIRE_FALSE(s);
  return s.error().message;
}

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

  TEST_CASE("every number is range-checked before it is converted") {
    struct Field {
      const char *json;  // as in k_reply
      const char *name;  // in the message
      const char *range; // likewise
      std::vector<const char *> refused;
    };
    const Field fields[] = {
        {R"("pid":42)", "pid", "1 to 2147483647", {"0", "-1", "2147483648", "4294967338", "42.0"}},
        {R"("uid":65534)", "uid", "0 to 4294967295", {"-1", "4294967296", "65534.5", "1e3"}},
        {R"("rx_port":2001)", "rx_port", "1 to 65535", {"0", "-2001", "65536", "4294967297"}},
        {R"("tx_port":2002)", "tx_port", "1 to 65535", {"67538", "2002.0", "-0.0"}},
        {R"("mtu":100)", "mtu", "68 to 65507", {"67", "65508", "4294967396", "1e2"}},
        {R"("rx_bytes":420)",
         "rx_bytes",
         "0 to 18446744073709551615",
         {"-1", "18446744073709551616", "4.2e2", "-9223372036854775808"}},
        {R"("tx_packets":6)", "tx_packets", "0 to 18446744073709551615", {"1e308"}},
        {R"("too_big":3)", "drops.too_big", "0 to 18446744073709551615", {"-3", "3.5"}},
    };
    for (const auto &f : fields)
      for (const auto *value : f.refused) {
        std::string json = f.json;
        auto replaced = json.substr(0, json.find(':') + 1) + value;
        CAPTURE(replaced);
        auto message = refusal(reply_with(json, replaced));
        CHECK(message.starts_with("relay 'fou2001' sent a status fouctl cannot use: '" +
                                  std::string(f.name) + "' is "));
        CHECK(message.ends_with(std::string(", not an integer from ") + f.range));
      }
    CHECK(refusal(reply_with(R"("mtu":100)", R"("mtu":70000)")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'mtu' is 70000, not an integer from "
          "68 to 65507");
    CHECK(refusal(reply_with(R"("uid":65534)", R"("uid":"65534")")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'uid' is a string, not an integer "
          "from 0 to 4294967295");
    CHECK(refusal(reply_with(R"("mtu":100,)", "")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'mtu' is null, not an integer from "
          "68 to 65507");
    // Beyond a double's range the JSON itself is unreadable.
    CHECK(refusal(reply_with(R"("mtu":100)", R"("mtu":1e999)")) ==
          "relay 'fou2001' answered with something unreadable");
    // The largest values that fit are kept exactly.
    auto max = backend::parse_relay_status(
        "fou2001", reply_with(R"("rx_bytes":420)", R"("rx_bytes":18446744073709551615)"));
    REQUIRE(max);
    CHECK(max->counters.rx_bytes == std::numeric_limits<std::uint64_t>::max());
  }

  TEST_CASE("optional fields: the pid (the socket's peer credentials count) and checksums") {
    auto s = backend::parse_relay_status("fou2001", reply_with(R"("pid":42,)", ""));
    REQUIRE(s);
    CHECK(s->pid == 0);
    CHECK(s->uid == 65534);
    CHECK(s->checksums_completed == 0);
    auto with = [](const std::string &n) {
      return reply_with(R"("drops":)", R"("checksums_completed":)" + n + R"(,"drops":)");
    };
    auto seven = backend::parse_relay_status("fou2001", with("7"));
    REQUIRE(seven);
    CHECK(seven->checksums_completed == 7);
    CHECK(refusal(with("-7")) == "relay 'fou2001' sent a status fouctl cannot use: "
                                 "'checksums_completed' is -7, not an integer from 0 to "
                                 "18446744073709551615");
  }

  TEST_CASE("drops: an object of at most 16 short reasons; totals saturate, never wrap") {
    const std::string drops =
        R"("drops":{"foreign_source":1,"malformed":2,"too_big":3,"tun_write":0,"udp_send":4})";
    auto with_drops = [&](const std::string &inner) {
      return reply_with(drops, R"("drops":{)" + inner + "}");
    };
    std::string sixteen, seventeen;
    for (int i = 0; i < 17; ++i)
      (i < 16 ? sixteen : seventeen) += (i ? ",\"r" : "\"r") + std::to_string(i) + "\":1";
    seventeen = sixteen + seventeen;
    auto ok = backend::parse_relay_status("fou2001", with_drops(sixteen));
    REQUIRE(ok);
    CHECK(ok->drops.size() == 16);
    CHECK(ok->counters.rx_dropped == 16);
    CHECK(refusal(with_drops(seventeen)) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'drops' has 17 reasons, more than 16");
    CHECK(refusal(with_drops("\"" + std::string(33, 'r') + "\":1")) ==
          "relay 'fou2001' sent a status fouctl cannot use: a drop reason has 33 characters, "
          "more than 32");
    CHECK(refusal(reply_with(drops, R"("drops":[1,2])")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'drops' is an array, not an object");
    auto full = backend::parse_relay_status(
        "fou2001", with_drops(R"("too_big":18446744073709551615,"udp_send":5,"malformed":7)"));
    REQUIRE(full);
    CHECK(full->counters.tx_dropped == std::numeric_limits<std::uint64_t>::max());
    CHECK(full->counters.rx_dropped == 7);
  }

  TEST_CASE("strings: bounded, and addresses that are addresses") {
    CHECK(refusal(reply_with(R"("framing":"tun-pi")",
                             "\"framing\":\"" + std::string(33, 'x') + "\"")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'framing' has 33 characters, more "
          "than 32");
    CHECK(refusal(reply_with(R"("tun_device":"")", R"("tun_device":"sixteen-chars-xx")")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'tun_device' has 16 characters, more "
          "than 15");
    CHECK(refusal(reply_with(R"("peer":"127.0.0.1")",
                             "\"peer\":\"" + std::string(100000, '1') + "\"")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'peer' has 100000 characters, more "
          "than 64");
    CHECK(refusal(reply_with(R"("peer":"127.0.0.1")", R"("peer":"")"))
              .starts_with("relay 'fou2001' sent a status fouctl cannot use: 'peer' is not an "
                           "address: "));
    CHECK(refusal(reply_with(R"("local":"")", R"("local":"192.0.2.300")"))
              .starts_with("relay 'fou2001' sent a status fouctl cannot use: 'local' is not an "
                           "address: "));
    CHECK(refusal(reply_with(R"("peer_port_fixed":false)", R"("peer_port_fixed":0)")) ==
          "relay 'fou2001' sent a status fouctl cannot use: 'peer_port_fixed' is 0, not true or "
          "false");
    auto local = backend::parse_relay_status("fou2001",
                                             reply_with(R"("local":"")", R"("local":"192.0.2.1")"));
    REQUIRE(local);
    CHECK(local->local.to_string() == "192.0.2.1");
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
