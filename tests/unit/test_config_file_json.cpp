// The config file against hostile text (issue 9): numbers beyond any range, nesting and
// objects past the limits, keys repeated or long, strings of a megabyte. Each is a located
// error, and each is checked in a bounded time with a bounded list of errors.
#include <doctest/doctest.h>

#include <string>

#include "test_config_file.hpp"

using namespace fouctl;
using namespace fouctl::test;

namespace {

std::string repeat(const std::string &s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

// "{"k0": 1, "k1": 1, ...}" with n keys.
std::string object_of(std::size_t n) {
  std::string out = "{";
  for (std::size_t i = 0; i < n; ++i)
    out += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  return out + "}";
}

const std::string k_too_deep = "arrays and objects are nested more than 64 deep; a config needs 4";
const std::string k_too_many_keys =
    "an object has more than 256 keys; no fouctl config needs that many";

} // namespace

TEST_SUITE("config::file_json") {
  TEST_CASE("a number beyond a double's range is an error at its place, not an exception") {
    CHECK(errors_of(R"({"version":1,"tunnels":[{"rx_port":1e999}]})") ==
          Errors{{"line 1, column 36", "the number 1e999 is out of range"}});
    CHECK(errors_of("{\"version\": 1,\n \"tunnels\": [-1e400]}") ==
          Errors{{"line 2, column 14", "the number -1e400 is out of range"}});
    // The first problem in the text wins, whichever kind it is.
    CHECK(errors_of(R"({"version" 1, "x": 1e999})") ==
          Errors{{"line 1, column 12",
                  "syntax error while parsing object separator - unexpected number literal; "
                  "expected ':'"}});
    // 300 digits are still a double (1e400 is not).
    auto many_digits = repeat("9", 300);
    CHECK(
        errors_of(one_tunnel(", \"mtu\": " + many_digits)) ==
        Errors{{"/tunnels/0/mtu", "expected an integer from 68 to 65507, got the number 1e+300"}});
  }

  TEST_CASE("integer keys: every number is range-checked, whatever its form") {
    struct Case {
      const char *value;
      const char *message;
    };
    const Case cases[] = {
        {"4294967297", "4294967297 is not a number from 1 to 65535"}, // 2^32 + 1: not 1
        {"65537", "65537 is not a number from 1 to 65535"},           // 2^16 + 1: not 1
        {"18446744073709551615", "18446744073709551615 is not a number from 1 to 65535"},
        {"-1", "-1 is not a number from 1 to 65535"},
        {"-9223372036854775808", "-9223372036854775808 is not a number from 1 to 65535"},
        {"-9223372036854775809",
         "expected an integer from 1 to 65535, got the number -9.223372036854776e+18"},
        {"18446744073709551616",
         "expected an integer from 1 to 65535, got the number 1.8446744073709552e+19"},
        {"2001.5", "expected an integer from 1 to 65535, got the number 2001.5"},
        {"2e3", "expected an integer from 1 to 65535, got the number 2000.0"},
        {"1e308", "expected an integer from 1 to 65535, got the number 1e+308"},
        {"-0.0", "expected an integer from 1 to 65535, got the number -0.0"},
    };
    for (const auto &c : cases) {
      CAPTURE(c.value);
      CHECK(errors_of(one_tunnel("", std::string(R"("rx_port": )") + c.value +
                                         R"(, "tx_port": 2002, "routes": ["10.0.2.2"])")) ==
            Errors{{"/tunnels/0/rx_port", c.message}});
    }
    CHECK(
        errors_of(one_tunnel(R"(, "mtu": 1472.0)")) ==
        Errors{{"/tunnels/0/mtu", "expected an integer from 68 to 65507, got the number 1472.0"}});
    // The version is not a range: a float there is a type error as before.
    CHECK(errors_of(R"({"version": 1.0, "tunnels": []})") ==
          Errors{{"/version", "expected an integer, got the number 1.0"}});
    CHECK(errors_of(R"({"version": -1, "tunnels": []})") ==
          Errors{{"/version", "config version -1 does not exist; this fouctl reads 1"}});
  }

  TEST_CASE("nesting deeper than k_max_nesting is refused where it starts") {
    auto deep = parse_quickly(std::string(100000, '['));
    CHECK(deep.errors == Errors{{"line 1, column 65", k_too_deep}});
    CHECK(errors_of(std::string(65, '[') + std::string(65, ']')) ==
          Errors{{"line 1, column 65", k_too_deep}});
    CHECK(errors_of(repeat(R"({"a":)", 65) + "1" + std::string(65, '}')) ==
          Errors{{"line 1, column 321", k_too_deep}});
    // At the limit itself the file is read, and is wrong for other reasons.
    CHECK(
        errors_of(std::string(64, '[') + std::string(64, ']')) ==
        Errors{{"/", R"(expected an object such as {"version": 1, "tunnels": []}, got an array)"}});
    // A syntax error before the limit is the one reported.
    CHECK(errors_of("{\"version\": 1 " + std::string(100, '[')) ==
          Errors{{"line 1, column 15",
                  "syntax error while parsing object - unexpected '['; expected '}'"}});
    // Brackets in strings do not count.
    CHECK(errors_of(R"({"version": 1, "tunnels": [], "x": ")" + std::string(1000, '[') + "\"}") ==
          Errors{{"/x", "unknown key 'x'; the top level has version and tunnels"}});
    // A megabyte of it, closed again, inside a valid start.
    auto closed = parse_quickly(R"({"version": 1, "tunnels": [)" + std::string(500000, '[') +
                                std::string(500000, ']') + "]}");
    CHECK(closed.errors == Errors{{"line 1, column 90", k_too_deep}});
  }

  TEST_CASE("an object of more than k_max_object_keys keys is refused at the first too many") {
    auto text = R"({"version": 1, "tunnels": [], "x": )" + object_of(257) + "}";
    auto key = text.find("\"k256\"");
    CHECK(errors_of(text) ==
          Errors{{"line 1, column " + std::to_string(key + 1), k_too_many_keys}});
    // At the limit the object is read; its keys are reported, as many as are listed.
    auto at_limit = errors_of(R"({"version": 1, "tunnels": [)" + object_of(256) + "]}");
    REQUIRE(at_limit.size() == config::k_max_errors + 1);
    CHECK(at_limit.front().location == "/tunnels/0/k0");
    // ordered_json looks keys up one by one: a megabyte of them in one object took 19 s.
    std::string big = R"({"version": 1, "tunnels": [], "x": {)";
    for (std::size_t i = 0; big.size() < k_file_limit - 20; ++i)
      big += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
    auto refused = parse_quickly(big + "}}");
    REQUIRE(refused.errors.size() == 1);
    CHECK(refused.errors[0].message == k_too_many_keys);
  }

  TEST_CASE("a repeated key is reported once, and the list of errors is capped") {
    CHECK(errors_of(one_tunnel(repeat(R"(, "mtu": 100)", 200))) ==
          Errors{{"/tunnels/0/mtu", "key 'mtu' is given more than once"}});
    // A thousand objects that repeat a key, inside a value nobody reads.
    auto outcome = parse_quickly(R"({"version": 1, "tunnels": [], "x": [)" +
                                 repeat(R"({"a": 1, "a": 2},)", 1000) + "{}]}");
    REQUIRE(outcome.errors.size() == config::k_max_errors + 1);
    CHECK(outcome.error_count == 1001);
    CHECK(outcome.errors[0] ==
          config::Diagnostic{"/x", "unknown key 'x'; the top level has version and tunnels"});
    CHECK(outcome.errors[1] == config::Diagnostic{"/x/0/a", "this key is given more than once"});
    CHECK(outcome.errors[99] == config::Diagnostic{"/x/98/a", "this key is given more than once"});
    CHECK(outcome.errors[100] ==
          config::Diagnostic{"/", "... and 901 more errors (only the first 100 are listed)"});
    // As deep as allowed, every level repeating its key: each pointer is built once.
    auto nested = repeat(R"({"a": 1, "a": )", 63) + "1" + std::string(63, '}');
    auto deep = errors_of(R"({"version": 1, "tunnels": [], "x": )" + nested + "}");
    REQUIRE(deep.size() == 64);
    CHECK(deep[1] == config::Diagnostic{"/x/a", "this key is given more than once"});
    CHECK(deep[63].location == "/x" + repeat("/a", 63));
  }

  TEST_CASE("long strings and keys are cut short in messages and locations") {
    const std::string forty(40, 'a');
    auto long_name =
        parse_quickly(one_tunnel(", \"name\": \"" + std::string(k_file_limit - 200, 'a') + "\""));
    CHECK(long_name.errors ==
          Errors{{"/tunnels/0/name", "device name '" + forty + "...' must be 1 to 15 characters"}});
    // "REMOTE" in a user's value is not the command line's word for a route.
    CHECK(errors_of(one_tunnel(", \"tun_device\": \"" + repeat("REMOTE", 100000) + "\"")) ==
          Errors{{"/tunnels/0/tun_device",
                  "device name '" + repeat("REMOTE", 6) + "REMO...' must be 1 to 15 characters"}});
    auto long_mode = parse_quickly(one_tunnel(", \"mode\": \"" + repeat("x", 500000) + "\""));
    CHECK(long_mode.errors ==
          Errors{{"/tunnels/0/mode",
                  "mode '" + repeat("x", 40) + "...' is not one of auto, kernel, userspace, bpf"}});
    auto long_key =
        parse_quickly(one_tunnel(", \"" + std::string(k_file_limit - 200, 'k') + "\": 1"));
    CHECK(long_key.errors ==
          Errors{{"/tunnels/0/" + std::string(40, 'k') + "...",
                  "unknown key '" + std::string(40, 'k') +
                      "...'; a tunnel has name, rx_port, tx_port, peer, local, routes, addresses, "
                      "mtu, mode, encap, offload, framing, tun_device, bind_peer and peer_port_fixed"}});
    // Cut at the start of a character, not inside one.
    auto utf8 = errors_of(R"({"version": 1, "tunnels": [], ")" + repeat("é", 30) + "\": 1}");
    REQUIRE(utf8.size() == 1);
    CHECK(utf8[0].location == "/" + repeat("é", 20) + "...");
  }

  TEST_CASE("a route list of tens of thousands: duplicates found without comparing all pairs") {
    std::string routes;
    for (int i = 0; i < 40000; ++i)
      routes += "\"10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24\",";
    auto ok = parse_quickly(one_tunnel(", \"routes\": [" + routes + "\"10.200.0.0/24\"]",
                                       R"("rx_port": 1, "tx_port": 2)"));
    CHECK(ok.errors.empty());
    auto again = parse_quickly(one_tunnel(", \"routes\": [" + routes + "\"10.0.7.0/24\"]",
                                          R"("rx_port": 1, "tx_port": 2)"));
    CHECK(again.errors ==
          Errors{{"/tunnels/0/routes/40000", "route '10.0.7.0/24' is given twice"}});
  }
}
