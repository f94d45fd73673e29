// The config file's rules: the command line's (config::validate()) reported at the key at
// fault, and the rules between tunnels.
#include <doctest/doctest.h>

#include "fouctl/cli/invocation.hpp"
#include "test_config_file.hpp"

using namespace fouctl;
using namespace fouctl::test;

namespace {

std::string tunnels(const std::string &list) {
  return R"({"version": 1, "tunnels": [)" + list + "]}";
}

} // namespace

TEST_SUITE("config::file_verify") {
  TEST_CASE("a value the command line refuses is reported at its key") {
    struct Case {
      const char *extra;
      config::Diagnostic error;
    };
    const Case cases[] = {
        {R"(, "name": "a/b")",
         {"/tunnels/0/name",
          "device name 'a/b' may not contain '/', ':', whitespace or non-ASCII"}},
        {R"(, "name": "")", {"/tunnels/0/name", "device name '' must be 1 to 15 characters"}},
        {R"(, "name": "1234")",
         {"/tunnels/0/name",
          "device name '1234' is all digits; 'fouctl down' would read it as a port"}},
        {R"(, "peer": "::")", {"/tunnels/0/peer", "peer '::' is not a unicast address"}},
        {R"(, "peer": "224.0.0.1")",
         {"/tunnels/0/peer", "peer '224.0.0.1' is not a unicast address"}},
        {R"(, "peer": "bob")", {"/tunnels/0/peer", "'bob' is not an IPv4 or IPv6 address"}},
        {R"(, "local": "0.0.0.0", "peer": "192.0.2.2")",
         {"/tunnels/0/local", "local '0.0.0.0' is not a unicast address"}},
        {R"(, "local": "2001:db8::1", "peer": "192.0.2.2")",
         {"/tunnels/0", "local '2001:db8::1' and peer '192.0.2.2' must be of the same family"}},
        {R"(, "addresses": ["10.0.1.1/24", "224.0.0.1/4"])",
         {"/tunnels/0/addresses/1", "address '224.0.0.1/4' is not a unicast address"}},
        {R"(, "mode": "fast")",
         {"/tunnels/0/mode", "mode 'fast' is not one of auto, kernel, userspace, bpf"}},
        {R"(, "framing": "pi")", {"/tunnels/0/framing", "framing 'pi' is not one of raw, tun-pi"}},
        {R"(, "tun_device": "a:b", "mode": "userspace")",
         {"/tunnels/0/tun_device",
          "device name 'a:b' may not contain '/', ':', whitespace or non-ASCII"}},
    };
    for (const auto &c : cases) {
      CAPTURE(c.extra);
      CHECK(errors_of(one_tunnel(c.extra)) == Errors{c.error});
    }
  }

  TEST_CASE("routes: each one at its index, in the file's words") {
    auto routes = [](const std::string &list) {
      return one_tunnel(", \"routes\": " + list, R"("rx_port": 2001, "tx_port": 2002)");
    };
    CHECK(errors_of(routes(R"(["10.0.2.0/24", "10.0.3.1/24", "0.0.0.0/0", "10.0.2.0/24", "x"])")) ==
          Errors{{"/tunnels/0/routes/1",
                  "'10.0.3.1/24' has host bits set; did you mean '10.0.3.0/24'?"},
                 {"/tunnels/0/routes/2",
                  "route '0.0.0.0/0' would send all traffic into the tunnel; not allowed"},
                 {"/tunnels/0/routes/3", "route '10.0.2.0/24' is given twice"},
                 {"/tunnels/0/routes/4", "'x' is not an IPv4 or IPv6 address"}});
    CHECK(errors_of(routes("[]")) ==
          Errors{{"/tunnels/0/routes", "a tunnel needs at least one route"}});
  }

  TEST_CASE("a rule between keys of one tunnel is reported at the tunnel") {
    struct Case {
      const char *extra;
      const char *message;
    };
    const Case cases[] = {
        {R"(, "local": "192.0.2.1")",
         "local '192.0.2.1' and peer '127.0.0.1' must both be loopback or both not be"},
        {R"(, "mode": "kernel", "framing": "tun-pi")",
         "framing and tun_device need the userspace relay, not mode 'kernel'"},
        {R"(, "name": "x", "tun_device": "tun0")",
         "name 'x' and tun_device 'tun0' differ; a relay on an existing device takes its name"},
        {R"(, "peer": "10.0.2.2")",
         "route '10.0.2.2/32' contains the peer 10.0.2.2: the tunnel's own packets would loop "
         "into it"},
        {R"(, "mtu": 100, "addresses": ["fd00::1/64"], "routes": ["fd00:1::/64"])",
         "IPv6 route 'fd00:1::/64' needs an MTU of at least 1280 (IPv6 minimum)"},
    };
    for (const auto &c : cases) {
      CAPTURE(c.extra);
      auto base = std::string(c.extra).find("routes") == std::string::npos
                      ? std::string(R"("rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"])")
                      : std::string(R"("rx_port": 2001, "tx_port": 2002)");
      CHECK(errors_of(one_tunnel(c.extra, base)) == Errors{{"/tunnels/0", c.message}});
    }
  }

  TEST_CASE("every error of a tunnel is reported, in the order of its keys") {
    CHECK(errors_of(one_tunnel(R"(, "peer": "bob", "mtu": 70000, "mode": "kernel", "framing": "x")",
                               R"("routes": ["10.0.2.1/24"], "rx_port": 2001, "tx_port": 0)")) ==
          Errors{{"/tunnels/0/routes/0",
                  "'10.0.2.1/24' has host bits set; did you mean '10.0.2.0/24'?"},
                 {"/tunnels/0/tx_port", "0 is not a number from 1 to 65535"},
                 {"/tunnels/0/peer", "'bob' is not an IPv4 or IPv6 address"},
                 {"/tunnels/0/mtu", "70000 is not a number from 68 to 65507"},
                 {"/tunnels/0/framing", "framing 'x' is not one of raw, tun-pi"}});
  }

  TEST_CASE("the file accepts exactly what `fouctl up` accepts") {
    struct Case {
      std::vector<std::string> cli; // after "up 2001 2002"
      const char *json;             // after "rx_port": 2001, "tx_port": 2002
    };
    const Case cases[] = {
        {{"10.0.2.2"}, R"(, "routes": ["10.0.2.2"])"},
        {{"10.0.2.2", "68"}, R"(, "routes": ["10.0.2.2"], "mtu": 68)"},
        {{"10.0.2.2", "65507"}, R"(, "routes": ["10.0.2.2"], "mtu": 65507)"},
        {{"10.0.2.0/24,10.9.0.0/16"}, R"(, "routes": ["10.0.2.0/24", "10.9.0.0/16"])"},
        {{"10.0.2.2,10.0.2.2"}, R"(, "routes": ["10.0.2.2", "10.0.2.2"])"},
        {{"10.0.2.1/24"}, R"(, "routes": ["10.0.2.1/24"])"},
        {{"0.0.0.0/0"}, R"(, "routes": ["0.0.0.0/0"])"},
        {{"10.0.0.0/8", "--peer", "10.1.1.1"}, R"(, "routes": ["10.0.0.0/8"], "peer": "10.1.1.1")"},
        {{"10.0.0.0/8", "--peer", "127.0.0.5"},
         R"(, "routes": ["10.0.0.0/8"], "peer": "127.0.0.5")"},
        {{"10.0.2.2", "--peer", "192.0.2.2", "--local", "127.0.0.1"},
         R"(, "routes": ["10.0.2.2"], "peer": "192.0.2.2", "local": "127.0.0.1")"},
        {{"10.0.2.2", "--local", "127.0.0.9"}, R"(, "routes": ["10.0.2.2"], "local": "127.0.0.9")"},
        {{"fd00::/64", "1280"}, R"(, "routes": ["fd00::/64"], "mtu": 1280)"},
        {{"fd00::/64", "1279"}, R"(, "routes": ["fd00::/64"], "mtu": 1279)"},
        {{"10.0.2.2", "--address", "10.0.1.1/24"},
         R"(, "routes": ["10.0.2.2"], "addresses": ["10.0.1.1/24"])"},
        {{"10.0.2.2", "--address", "0.0.0.0"},
         R"(, "routes": ["10.0.2.2"], "addresses": ["0.0.0.0"])"},
        {{"10.0.2.2", "--mode", "kernel", "--peer-port-fixed"},
         R"(, "routes": ["10.0.2.2"], "mode": "kernel", "peer_port_fixed": true)"},
        {{"10.0.2.2", "--tun-device", "tun0"}, R"(, "routes": ["10.0.2.2"], "tun_device": "tun0")"},
        {{"10.0.2.2", "--tun-device", "tun0", "--name", "tun0"},
         R"(, "routes": ["10.0.2.2"], "tun_device": "tun0", "name": "tun0")"},
        {{"10.0.2.2", "--name", "abcdefghijklmnop"},
         R"(, "routes": ["10.0.2.2"], "name": "abcdefghijklmnop")"},
    };
    for (const auto &c : cases) {
      std::vector<std::string> args{"up", "2001", "2002"};
      args.insert(args.end(), c.cli.begin(), c.cli.end());
      auto from_cli = cli::parse(args);
      auto from_file =
          config::parse_config(one_tunnel(c.json, R"("rx_port": 2001, "tx_port": 2002)"));
      CAPTURE(c.json);
      CAPTURE(from_cli ? std::string("accepted") : from_cli.error().describe());
      CAPTURE(from_file.errors);
      REQUIRE(from_cli.has_value() == from_file.config.has_value());
      if (from_cli)
        CHECK(spec_text(from_cli->spec) == spec_text(from_file.config->tunnels.at(0)));
    }
  }

  TEST_CASE("names are unique; a default name clashing with a given one counts") {
    CHECK(errors_of(tunnels(R"({"name": "a", "rx_port": 1, "tx_port": 2, "routes": ["10.1.0.0/24"]},
                              {"name": "a", "rx_port": 3, "tx_port": 4, "routes": ["10.2.0.0/24"]})")) ==
          Errors{{"/tunnels/1/name",
                  "tunnels 0 and 1 are both named 'a'; each tunnel needs its own name"}});
    CHECK(errors_of(tunnels(R"({"rx_port": 2001, "tx_port": 2, "routes": ["10.1.0.0/24"]},
                              {"name": "fou2001", "rx_port": 3, "tx_port": 4, "routes": ["10.2.0.0/24"]})")) ==
          Errors{{"/tunnels/1/name",
                  "tunnels 0 and 1 are both named 'fou2001'; each tunnel needs its own name"}});
  }

  TEST_CASE("rx ports are unique (a default name from the port is not reported again)") {
    CHECK(errors_of(tunnels(R"({"rx_port": 2001, "tx_port": 2, "routes": ["10.1.0.0/24"]},
                              {"rx_port": 2001, "tx_port": 4, "routes": ["10.2.0.0/24"]})")) ==
          Errors{{"/tunnels/1/rx_port",
                  "tunnels 0 and 1 both listen on rx_port 2001; two tunnels cannot share a port"}});
    CHECK(
        errors_of(tunnels(R"({"name": "a", "rx_port": 5, "tx_port": 2, "routes": ["10.1.0.0/24"]},
                              {"name": "b", "rx_port": 5, "tx_port": 4, "routes": ["10.2.0.0/24"],
                               "mode": "userspace"})")) ==
        Errors{{"/tunnels/1/rx_port",
                "tunnels 'a' and 'b' both listen on rx_port 5; two tunnels cannot share a port"}});
  }

  TEST_CASE("outer addresses: the kernel must tell the tunnels apart") {
    auto pair = [](const std::string &a, const std::string &b) {
      return tunnels(R"({"name": "a", "rx_port": 1, "tx_port": 2, "routes": ["10.1.0.0/24"])" + a +
                     R"(}, {"name": "b", "rx_port": 3, "tx_port": 4, "routes": ["10.2.0.0/24"])" +
                     b + "}");
    };
    CHECK(
        errors_of(pair(R"(, "peer": "192.0.2.2")", R"(, "peer": "192.0.2.2", "mode": "kernel")")) ==
        Errors{{"/tunnels/1", "tunnels 'a' and 'b' share outer addresses (local any, peer "
                              "192.0.2.2): the kernel cannot tell them apart; give one a "
                              "different local"}});
    CHECK(errors_of(pair(R"(, "peer": "192.0.2.2", "local": "192.0.2.1")",
                         R"(, "peer": "192.0.2.2", "local": "192.0.2.1")")) ==
          Errors{{"/tunnels/1", "tunnels 'a' and 'b' share outer addresses (local 192.0.2.1, peer "
                                "192.0.2.2): the kernel cannot tell them apart; give one a "
                                "different local"}});
    // Loopback with an explicit local: fouctl picks nothing, so the same pair clashes.
    CHECK(errors_of(pair(R"(, "local": "127.0.0.3")", R"(, "local": "127.0.0.3")")).size() == 1);
    // Fine: a different local; one local left to the kernel; a relay; loopback without local.
    valid(pair(R"(, "peer": "192.0.2.2", "local": "192.0.2.1")",
               R"(, "peer": "192.0.2.2", "local": "192.0.2.9")"));
    valid(pair(R"(, "peer": "192.0.2.2", "local": "192.0.2.1")", R"(, "peer": "192.0.2.2")"));
    valid(pair(R"(, "peer": "192.0.2.2")", R"(, "peer": "192.0.2.2", "mode": "userspace")"));
    valid(pair("", ""));
  }

  TEST_CASE("routes of two tunnels may not overlap") {
    CHECK(errors_of(tunnels(R"({"name": "a", "rx_port": 1, "tx_port": 2, "routes": ["10.1.0.0/16"]},
                              {"name": "b", "rx_port": 3, "tx_port": 4,
                               "routes": ["10.9.0.0/16", "10.1.2.0/24", "10.1.0.0/16"]})")) ==
          Errors{{"/tunnels/1/routes/1",
                  "route 10.1.2.0/24 of tunnel 'b' overlaps route 10.1.0.0/16 of tunnel 'a'"},
                 {"/tunnels/1/routes/2",
                  "route 10.1.0.0/16 of tunnel 'b' overlaps route 10.1.0.0/16 of tunnel 'a'"}});
    // Within one tunnel, overlapping (not equal) routes are fine, as on the command line.
    valid(one_tunnel(R"(, "routes": ["10.0.0.0/8", "10.1.0.0/16"])",
                     R"("rx_port": 1, "tx_port": 2)"));
  }

  TEST_CASE("an address belongs to one tunnel") {
    CHECK(errors_of(tunnels(R"({"name": "a", "rx_port": 1, "tx_port": 2, "routes": ["10.1.0.0/24"],
                               "addresses": ["10.0.1.1/24"]},
                              {"name": "b", "rx_port": 3, "tx_port": 4, "routes": ["10.2.0.0/24"],
                               "addresses": ["10.0.1.2/24", "10.0.1.1/16"]})")) ==
          Errors{{"/tunnels/1/addresses/1",
                  "address 10.0.1.1 of tunnel 'b' is also an address of tunnel 'a'"}});
  }

  TEST_CASE("all errors at once, tunnel by tunnel; rules between tunnels use what is valid") {
    CHECK(
        errors_of(tunnels(R"({"name": "a", "rx_port": 1, "tx_port": 2, "routes": ["10.1.0.0/16"]},
                              {"name": "b", "rx_port": 1, "tx_port": 4, "routes": ["10.1.1.0/24"],
                               "mtu": 9, "peers": "x"},
                              {"name": "a", "rx_port": 5, "tx_port": 6, "routes": ["10.3.0.0/24"],
                               "mode": "kernel", "framing": "tun-pi"})")) ==
        Errors{
            {"/tunnels/1/mtu", "9 is not a number from 68 to 65507"},
            {"/tunnels/1/peers", "unknown key 'peers'; did you mean 'peer'?"},
            {"/tunnels/1/rx_port",
             "tunnels 'a' and 'b' both listen on rx_port 1; two tunnels cannot share a port"},
            {"/tunnels/1/routes/0",
             "route 10.1.1.0/24 of tunnel 'b' overlaps route 10.1.0.0/16 of tunnel 'a'"},
            {"/tunnels/2",
             "framing and tun_device need the userspace relay, not mode 'kernel'"},
            {"/tunnels/2/name",
             "tunnels 0 and 2 are both named 'a'; each tunnel needs its own name"}});
  }
}
