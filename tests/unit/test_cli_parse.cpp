#include <doctest/doctest.h>

#include <sstream>

#include "fouctl/cli/invocation.hpp"

using namespace fouctl;

namespace {
util::Result<cli::Invocation> p(std::vector<std::string> args) { return cli::parse(args); }

std::string error_of(std::vector<std::string> args) {
  auto r = cli::parse(args);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == util::ErrorKind::usage);
  return r.error().describe();
}
} // namespace

TEST_SUITE("cli::parse") {
  TEST_CASE("the seed's command line: defaults from the seed script") {
    auto r = p({"up", "2001", "2002", "10.0.2.2", "100"});
    REQUIRE(r);
    CHECK(r->verb == cli::Verb::up);
    const auto &s = r->spec;
    CHECK(s.rx_port == 2001);
    CHECK(s.tx_port == 2002);
    REQUIRE(s.routes.size() == 1);
    CHECK(s.routes[0].to_string() == "10.0.2.2/32");
    CHECK(s.mtu == 100);
    CHECK(s.peer.to_string() == "127.0.0.1");
    CHECK_FALSE(s.local.is_set());
    CHECK(s.name == "fou2001");
    CHECK(s.mode == config::Mode::automatic);
  }

  TEST_CASE("MTU defaults to 1472; options") {
    auto r = p({"up", "5555", "5556", "10.0.2.0/24,10.9.0.0/16", "--peer", "192.0.2.2", "--local",
                "192.0.2.1", "--address", "10.0.1.1/24", "--address", "10.0.1.9", "--name", "tun-a",
                "--mode", "kernel"});
    REQUIRE(r);
    const auto &s = r->spec;
    CHECK(s.mtu == 1472);
    CHECK(s.routes.size() == 2);
    CHECK(s.peer.to_string() == "192.0.2.2");
    CHECK(s.local.to_string() == "192.0.2.1");
    REQUIRE(s.addresses.size() == 2);
    CHECK(s.addresses[0].to_string() == "10.0.1.1/24");
    CHECK(s.addresses[1].to_string() == "10.0.1.9/32");
    CHECK(s.name == "tun-a");
    CHECK(s.mode == config::Mode::kernel);
  }

  TEST_CASE("-n/--netns names a namespace for any verb; an empty name is refused") {
    auto r = p({"-n", "blue", "status"});
    REQUIRE(r);
    CHECK(r->netns == "blue");
    CHECK(r->verb == cli::Verb::status);
    r = p({"--netns=red", "-q", "down", "--all"});
    REQUIRE(r);
    CHECK(r->netns == "red");
    CHECK(r->quiet);
    CHECK(p({"status"})->netns.empty());
    CHECK(error_of({"-n", "", "status"}).find("not a network namespace name") != std::string::npos);
    CHECK_FALSE(p({"-n"}));
  }

  TEST_CASE("down takes a port or a name") {
    auto a = p({"down", "2001"});
    REQUIRE(a);
    CHECK(a->verb == cli::Verb::down);
    CHECK(a->target == "2001");
    auto b = p({"down", "fou-x"});
    REQUIRE(b);
    CHECK(b->target == "fou-x");
  }

  TEST_CASE("status --json, version, help") {
    auto s = p({"status", "--json"});
    REQUIRE(s);
    CHECK(s->json);
    auto pl = p({"plan", "--json", "-c", "x.json"});
    REQUIRE(pl);
    CHECK(pl->verb == cli::Verb::plan);
    CHECK(pl->json);
    CHECK(pl->config_path == "x.json");
    CHECK_FALSE(p({"plan", "-c", "x.json"})->json);
    auto v = p({"--version"});
    REQUIRE(v);
    CHECK(v->verb == cli::Verb::version);
    CHECK(v->help_text.find("fouctl ") == 0);
    auto h = p({"up", "--help"});
    REQUIRE(h);
    CHECK(h->verb == cli::Verb::help);
    CHECK(h->help_text.find("RX_PORT") != std::string::npos);
  }

  TEST_CASE("bad input is a usage error naming the problem") {
    CHECK(error_of({"up", "0", "2002", "10.0.2.2"}).find("RX_PORT '0'") != std::string::npos);
    CHECK(error_of({"up", "2001", "65536", "10.0.2.2"}).find("TX_PORT '65536'") != std::string::npos);
    CHECK(error_of({"up", "20x1", "2002", "10.0.2.2"}).find("RX_PORT") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.300"}).find("10.0.2.300") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.1/24"}).find("host bits") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "67"}).find("MTU '67'") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "65508"}).find("MTU") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "0.0.0.0/0"}).find("all traffic") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "--peer", "2001:db8::2", "--local",
                    "192.0.2.1"})
              .find("must be of the same family") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "--peer", "10.0.0.1", "--local",
                    "127.0.0.2"})
              .find("loopback") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "192.0.2.0/24", "--peer", "192.0.2.7"})
              .find("loop") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "--name", "a/b"}).find("a/b") !=
          std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "--name", "0123456789abcdef"})
              .find("1 to 15") != std::string::npos);
    auto bpf = p({"up", "2001", "2002", "10.0.2.2", "--mode", "bpf"});
    REQUIRE(bpf);
    CHECK(bpf->spec.mode == config::Mode::bpf);
    CHECK(std::string(config::to_string(config::Mode::bpf)) == "bpf");
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2", "--mode", "fast"}).find("fast") !=
          std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "fd00::/64", "100"}).find("1280") != std::string::npos);
    CHECK(error_of({"up", "2001", "2002", "10.0.2.2,10.0.2.2"}).find("twice") != std::string::npos);
    CHECK(error_of({"up", "1", "2", "10.0.0.0/8", "--tun-device", "tun0", "--address", "10.1.1.1"})
              .find("may not be given with --tun-device") != std::string::npos);
    CHECK_FALSE(error_of({"frobnicate"}).empty());
    CHECK_FALSE(error_of({"up", "2001"}).empty());
    CHECK_FALSE(error_of({"down"}).empty());
    CHECK(error_of({}).find("no command") != std::string::npos);
    CHECK(error_of({"down", "99999"}).find("99999") != std::string::npos);
  }

  TEST_CASE("run() maps usage errors to exit code 2 and prints one line") {
    std::ostringstream out, err;
    CHECK(cli::run({"up", "2001", "2002", "10.0.2.2", "12"}, out, err) == cli::k_exit_usage);
    CHECK(err.str().rfind("fouctl: MTU '12'", 0) == 0);
    CHECK(out.str().empty());
    std::ostringstream out2, err2;
    CHECK(cli::run({"--version"}, out2, err2) == cli::k_exit_ok);
    CHECK(out2.str().find("fouctl") == 0);
  }
}
