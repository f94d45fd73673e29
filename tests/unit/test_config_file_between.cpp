// The rules between tunnels at scale (issue 9): each tunnel is reported once per rule,
// against the first tunnel before it that it clashes with, and thousands of tunnels are
// checked without comparing every pair.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "test_config_file.hpp"

using namespace fouctl;
using namespace fouctl::test;

namespace {

std::string tunnels(const std::string &list) {
  return R"({"version": 1, "tunnels": [)" + list + "]}";
}

// `n` copies of one tunnel, as many as 1 MiB holds when n is 0.
std::string identical(std::size_t n) {
  const std::string one = R"({"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"]})";
  std::string list = one;
  for (std::size_t i = 1; n == 0 ? list.size() + one.size() < k_file_limit - 40 : i < n; ++i)
    list += "," + one;
  return tunnels(list);
}

std::string rx_clash(std::size_t first, std::size_t i) {
  return "tunnels " + std::to_string(first) + " and " + std::to_string(i) +
         " both listen on rx_port 2001; two tunnels cannot share a port";
}

const std::string k_route_clash =
    "route 10.0.2.2/32 of tunnel 'fou2001' overlaps route 10.0.2.2/32 of tunnel 'fou2001'";

// A random route in a small space, so that routes often overlap: IPv4 inside 10.0.0.0/12
// with lengths 8 to 32, and now and then IPv6 inside fd00::/12.
util::Prefix random_route(std::mt19937 &rng) {
  std::uniform_int_distribution<int> coin(0, 9);
  std::string text;
  if (coin(rng) == 0) {
    std::uniform_int_distribution<int> len(8, 24), word(0xfd00, 0xfd0f);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%x::/%d", word(rng), len(rng));
    text = buf;
  } else {
    std::uniform_int_distribution<int> len(8, 32), octet(0, 255), second(0, 15);
    text = "10." + std::to_string(second(rng)) + "." + std::to_string(octet(rng)) + "." +
           std::to_string(octet(rng)) + "/" + std::to_string(len(rng));
  }
  return *util::parse_prefix(text, false); // host bits allowed here, cleared below
}

} // namespace

TEST_SUITE("config::file_between") {
  TEST_CASE("n identical tunnels: n - 1 errors per rule, each against the first tunnel") {
    Errors expected;
    for (std::size_t i = 1; i < 5; ++i) {
      expected.push_back({"/tunnels/" + std::to_string(i) + "/rx_port", rx_clash(0, i)});
      expected.push_back({"/tunnels/" + std::to_string(i) + "/routes/0", k_route_clash});
    }
    CHECK(errors_of(identical(5)) == expected);

    // Two thousand of them gave four million errors and took 15 s and 1 GB.
    auto many = parse_quickly(identical(2000));
    CHECK(many.error_count == 2 * 1999);
    REQUIRE(many.errors.size() == config::k_max_errors + 1);
    CHECK(many.errors[98] == config::Diagnostic{"/tunnels/50/rx_port", rx_clash(0, 50)});
    CHECK(many.errors[99] == config::Diagnostic{"/tunnels/50/routes/0", k_route_clash});
    CHECK(many.errors[100] ==
          config::Diagnostic{"/", "... and 3898 more errors (only the first 100 are listed)"});

    // As many as fit in the 1 MiB `fouctl check` reads: the code this replaces ran out of
    // memory after 20 GB.
    auto most = parse_quickly(identical(0));
    CHECK(most.error_count > 30000);
    CHECK(most.errors.size() == config::k_max_errors + 1);
  }

  TEST_CASE("a tunnel is reported against the first tunnel it clashes with") {
    auto t = [](const std::string &name, int rx, const std::string &route,
                const std::string &extra = "") {
      return R"({"name": ")" + name + R"(", "rx_port": )" + std::to_string(rx) +
             R"(, "tx_port": 9, "routes": [")" + route + "\"]" + extra + "}";
    };
    const std::string outer = R"(, "peer": "192.0.2.2", "local": "192.0.2.1")";
    const std::string address = R"(, "addresses": ["10.9.0.1/24"])";
    CHECK(errors_of(tunnels(t("a", 1, "10.1.0.0/16", outer + address) + "," +
                            t("b", 2, "10.1.1.0/24", outer + address) + "," +
                            t("a", 2, "10.1.0.0/23", outer + address))) ==
          Errors{{"/tunnels/1", "tunnels 'a' and 'b' share outer addresses (local 192.0.2.1, peer "
                                "192.0.2.2): the kernel cannot tell them apart; give one a "
                                "different local"},
                 {"/tunnels/1/routes/0",
                  "route 10.1.1.0/24 of tunnel 'b' overlaps route 10.1.0.0/16 of tunnel 'a'"},
                 {"/tunnels/1/addresses/0",
                  "address 10.9.0.1 of tunnel 'b' is also an address of tunnel 'a'"},
                 // Its name clashes with tunnel 0 and its port with tunnel 1: in that order.
                 {"/tunnels/2/name",
                  "tunnels 0 and 2 are both named 'a'; each tunnel needs its own name"},
                 {"/tunnels/2/rx_port",
                  "tunnels 'b' and 'a' both listen on rx_port 2; two tunnels cannot share a port"},
                 {"/tunnels/2", "tunnels 0 and 2 share outer addresses (local 192.0.2.1, peer "
                                "192.0.2.2): the kernel cannot tell them apart; give one a "
                                "different local"},
                 // Inside tunnel 0's route and containing tunnel 1's: tunnel 0's is first.
                 {"/tunnels/2/routes/0",
                  "route 10.1.0.0/23 of tunnel 'a' overlaps route 10.1.0.0/16 of tunnel 'a'"},
                 {"/tunnels/2/addresses/0",
                  "address 10.9.0.1 of tunnel 'a' is also an address of tunnel 'a'"}});
    // An ipip and a sit device may share outer addresses (IPIP and IPv6 payloads go to
    // different handlers); two sit devices may not.
    CHECK(valid(tunnels(t("v4", 1, "10.1.0.0/24", outer) + "," + t("v6", 2, "fd00:1::/64", outer))).tunnels.size() == 2);
    CHECK(errors_of(tunnels(t("v4", 1, "fd00:2::/64", outer) + "," + t("v6", 2, "fd00:1::/64", outer))) ==
          Errors{{"/tunnels/1", "tunnels 'v4' and 'v6' share outer addresses (local 192.0.2.1, peer "
                                "192.0.2.2): the kernel cannot tell them apart; give one a "
                                "different local"}});
    // A port clash first, then a name clash with a later tunnel.
    CHECK(errors_of(tunnels(t("a", 1, "10.1.0.0/24") + "," + t("b", 5, "10.2.0.0/24") + "," +
                            t("b", 1, "10.3.0.0/24"))) ==
          Errors{{"/tunnels/2/rx_port",
                  "tunnels 'a' and 'b' both listen on rx_port 1; two tunnels cannot share a port"},
                 {"/tunnels/2/name",
                  "tunnels 1 and 2 are both named 'b'; each tunnel needs its own name"}});
    // A name made from the port clashes with a given one, not with another made one.
    CHECK(errors_of(tunnels(R"({"rx_port": 7, "tx_port": 9, "routes": ["10.1.0.0/24"]},
                               {"name": "fou7", "rx_port": 8, "tx_port": 9, "routes": ["10.2.0.0/24"]},
                               {"rx_port": 7, "tx_port": 9, "routes": ["10.3.0.0/24"]})")) ==
          Errors{{"/tunnels/1/name",
                  "tunnels 0 and 1 are both named 'fou7'; each tunnel needs its own name"},
                 {"/tunnels/2/rx_port",
                  "tunnels 0 and 2 both listen on rx_port 7; two tunnels cannot share a port"},
                 {"/tunnels/2",
                  "tunnels 1 and 2 are both named 'fou7'; each tunnel needs its own name"}});
  }

  TEST_CASE("route overlaps found by the sort are those of comparing every pair") {
    // Random files of overlapping routes, against the rule spelt out: each route of a tunnel
    // is reported against the first route of the first earlier tunnel that overlaps it.
    std::mt19937 rng(9);
    for (int round = 0; round < 200; ++round) {
      CAPTURE(round);
      std::uniform_int_distribution<int> count(1, 4);
      std::vector<std::vector<util::Prefix>> routes(12);
      std::string list;
      for (std::size_t i = 0; i < routes.size(); ++i) {
        for (int n = count(rng); n > 0; --n) {
          auto p = random_route(rng).network();
          if (std::find(routes[i].begin(), routes[i].end(), p) == routes[i].end())
            routes[i].push_back(p);
        }
        list += std::string(i ? "," : "") + R"({"rx_port": )" + std::to_string(i + 1) +
                R"(, "tx_port": 9, "routes": [)";
        for (std::size_t j = 0; j < routes[i].size(); ++j)
          list += (j ? ",\"" : "\"") + routes[i][j].to_string() + "\"";
        list += "]}";
      }
      Errors expected;
      for (std::size_t i = 0; i < routes.size(); ++i)
        for (std::size_t j = 0; j < routes[i].size(); ++j) {
          bool found = false;
          for (std::size_t e = 0; e < i && !found; ++e)
            for (std::size_t k = 0; k < routes[e].size() && !found; ++k)
              if (routes[i][j].overlaps(routes[e][k])) {
                found = true;
                expected.push_back(
                    {"/tunnels/" + std::to_string(i) + "/routes/" + std::to_string(j),
                     "route " + routes[i][j].to_string() + " of tunnel 'fou" +
                         std::to_string(i + 1) + "' overlaps route " + routes[e][k].to_string() +
                         " of tunnel 'fou" + std::to_string(e + 1) + "'"});
              }
        }
      auto outcome = config::parse_config(tunnels(list));
      CHECK(outcome.error_count == expected.size());
      if (expected.size() > config::k_max_errors)
        expected.resize(config::k_max_errors); // and a line with the count
      CHECK(Errors(outcome.errors.begin(),
                   outcome.errors.begin() + static_cast<std::ptrdiff_t>(expected.size())) ==
            expected);
    }
  }

  TEST_CASE("thousands of tunnels, valid or clashing, in well under a second") {
    // Every tunnel's route inside the one before it: the stack of the sort is deep.
    std::string nested;
    for (int i = 0; i < 25; ++i)
      nested += std::string(i ? "," : "") + R"({"rx_port": )" + std::to_string(i + 1) +
                R"(, "tx_port": 9, "routes": ["10.0.0.0/)" + std::to_string(8 + i) + "\"]}";
    auto chain = errors_of(tunnels(nested));
    REQUIRE(chain.size() == 24);
    CHECK(chain[23].message ==
          "route 10.0.0.0/32 of tunnel 'fou25' overlaps route 10.0.0.0/8 of tunnel 'fou1'");
    // 9000 valid tunnels (the checks compared 40 million pairs), then 5000 whose /8 holds
    // every route before it.
    std::string valid_list, wide_list;
    for (int i = 0; i < 9000; ++i)
      valid_list += std::string(i ? "," : "") + R"({"rx_port": )" + std::to_string(i + 1) +
                    R"(, "tx_port": 1, "local": "127.0.)" + std::to_string(i / 250) + "." +
                    std::to_string(i % 250 + 1) + R"(", "routes": ["10.)" +
                    std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24\"]}";
    auto fine = parse_quickly(tunnels(valid_list));
    CHECK(fine.errors.empty());
    CHECK(fine.config->tunnels.size() == 9000);
    for (int i = 0; i < 5000; ++i)
      wide_list += std::string(i ? "," : "") + R"({"rx_port": )" + std::to_string(i + 1) +
                   R"(, "tx_port": 1, "routes": ["10.0.0.0/8", "10.)" + std::to_string(i / 256) +
                   "." + std::to_string(i % 256) + ".0/24\"]}";
    auto wide = parse_quickly(tunnels(wide_list));
    CHECK(wide.error_count == 2 * 4999);
    CHECK(wide.errors[1].message ==
          "route 10.0.1.0/24 of tunnel 'fou2' overlaps route 10.0.0.0/8 of tunnel 'fou1'");
  }
}
