// The config file's syntax, keys, types and defaults, and the example configs in configs/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "fouctl/cli/invocation.hpp"
#include "fouctl/kind/kind.hpp"
#include "test_config_file.hpp"

using namespace fouctl;
using namespace fouctl::test;

namespace {

std::string read_example(const std::string &name) {
  std::ifstream in(examples_dir() / name);
  REQUIRE_MESSAGE(in, "cannot open " << (examples_dir() / name).string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

config::TunnelSpec from_cli(std::vector<std::string> args) {
  auto inv = cli::parse(args);
  REQUIRE_MESSAGE(inv, inv.error().describe());
  return inv->spec;
}

} // namespace

TEST_SUITE("config::file") {
  TEST_CASE("seed-alice-bob.json: the seed's Alice side, `up 2001 2002 10.0.2.2 100`") {
    auto c = valid(read_example("seed-alice-bob.json"));
    CHECK(c.version == 1);
    REQUIRE(c.tunnels.size() == 1);
    const auto &t = c.tunnels[0];
    CHECK(t.name == "fou2001");
    CHECK(t.rx_port == 2001);
    CHECK(t.tx_port == 2002);
    CHECK(t.mtu == 100);
    CHECK(t.peer.to_string() == "127.0.0.1");
    REQUIRE(t.routes.size() == 1);
    CHECK(t.routes[0].to_string() == "10.0.2.2/32");
    CHECK(spec_text(t) == spec_text(from_cli({"up", "2001", "2002", "10.0.2.2", "100"})));
  }

  TEST_CASE("gue-dual-stack.json: IPv4 and IPv6 to one peer in GUE, two kernel devices") {
    auto c = valid(read_example("gue-dual-stack.json"));
    REQUIRE(c.tunnels.size() == 2);
    for (const auto &t : c.tunnels) {
      CHECK(t.encap == config::Encap::gue);
      CHECK(t.mtu_auto); // from the underlay when applied
    }
    CHECK(std::string_view((*kind::for_spec(c.tunnels[0]))->name) == "ipip");
    CHECK(std::string_view((*kind::for_spec(c.tunnels[1]))->name) == "sit");
  }

  TEST_CASE("two-vm-overlay.json: VM A of the socat seed, joining socat on VM B") {
    auto c = valid(read_example("two-vm-overlay.json"));
    REQUIRE(c.tunnels.size() == 1);
    const auto &t = c.tunnels[0];
    CHECK(t.name == "fou9090");
    CHECK(t.peer.to_string() == "192.168.1.103");
    CHECK(t.local.to_string() == "192.168.1.114");
    REQUIRE(t.addresses.size() == 1);
    CHECK(t.addresses[0].to_string() == "172.30.0.1/16"); // host bits kept
    // The route equals the address's connected route: allowed, as on the command line.
    CHECK(t.routes[0].to_string() == "172.30.0.0/16");
    CHECK(t.framing == config::Framing::tun_pi);
    CHECK(spec_text(t) ==
          spec_text(
              from_cli({"up", "9090", "9090", "172.30.0.0/16", "--peer", "192.168.1.103", "--local",
                        "192.168.1.114", "--address", "172.30.0.1/16", "--framing", "tun-pi"})));
  }

  TEST_CASE("hub.json: three spokes over loopback, each with its own 127.0.0.N") {
    auto c = valid(read_example("hub.json"));
    REQUIRE(c.tunnels.size() == 3);
    for (int i = 0; i < 3; ++i) {
      auto n = std::to_string(i + 1);
      auto rx = std::to_string(2001 + 2 * i), tx = std::to_string(2002 + 2 * i);
      CAPTURE(n);
      CHECK(c.tunnels[i].name == "spoke" + n);
      CHECK_FALSE(c.tunnels[i].local.is_set());
      CHECK(spec_text(c.tunnels[i]) ==
            spec_text(from_cli({"up", rx, tx, "10." + n + ".0.0/24", "--name", "spoke" + n})));
    }
  }

  TEST_CASE("empty.json: what the Debian package ships; no tunnels") {
    auto c = valid(read_example("empty.json"));
    CHECK(c.version == 1);
    CHECK(c.tunnels.empty());
  }

  TEST_CASE("every file in configs/ is a valid config") {
    int seen = 0;
    for (const auto &entry : std::filesystem::directory_iterator(examples_dir())) {
      CAPTURE(entry.path().string());
      valid(read_example(entry.path().filename().string()));
      ++seen;
    }
    CHECK(seen >= 4);
  }

  TEST_CASE("defaults are the command line's") {
    auto t = valid(one_tunnel("")).tunnels.at(0);
    CHECK(t.name == "fou2001");
    CHECK(t.peer.to_string() == "127.0.0.1");
    CHECK_FALSE(t.local.is_set());
    CHECK(t.mtu == config::k_default_mtu);
    CHECK(t.mtu_auto); // until the backend asks the underlay
    CHECK(t.encap == config::Encap::fou);
    CHECK(t.mode == config::Mode::automatic);
    CHECK(t.framing == config::Framing::raw);
    CHECK(t.addresses.empty());
    CHECK(t.tun_device.empty());
    CHECK_FALSE(t.peer_port_fixed);
    CHECK(spec_text(t) == spec_text(from_cli({"up", "2001", "2002", "10.0.2.2"})));
    // Without a name, a relay on an existing TUN device takes the device's name.
    auto r = valid(one_tunnel(R"(, "tun_device": "tun0", "mode": "userspace")")).tunnels.at(0);
    CHECK(r.name == "tun0");
  }

  TEST_CASE("every key, given") {
    auto t = valid(one_tunnel(R"(, "name": "x1", "peer": "192.0.2.2", "local": "192.0.2.1",
        "addresses": ["10.0.1.1/24", "10.0.1.9"], "mtu": 1400, "mode": "userspace",
        "framing": "tun-pi", "peer_port_fixed": true)"))
                 .tunnels.at(0);
    CHECK(spec_text(t) ==
          spec_text(from_cli({"up",          "2001",      "2002",      "10.0.2.2",
                              "1400",        "--name",    "x1",        "--peer",
                              "192.0.2.2",   "--local",   "192.0.2.1", "--address",
                              "10.0.1.1/24", "--address", "10.0.1.9",  "--mode",
                              "userspace",   "--framing", "tun-pi",    "--peer-port-fixed"})));
  }

  TEST_CASE("a syntax error has a line and a column") {
    CHECK(errors_of("{\n  \"version\": 1,\n  \"tunnels\": [],\n}\n") ==
          Errors{
              {"line 4, column 1",
               "syntax error while parsing object key - unexpected '}'; expected string literal"}});
    // At the end of the input: one past the last character.
    auto end = errors_of("{\"version\": 1,");
    REQUIRE(end.size() == 1);
    CHECK(end[0].location == "line 1, column 15");
    // Columns count characters: "é" is two bytes and one column. The parser stops at the
    // '}' that ends the literal "tru".
    auto utf8 = errors_of("{\"n\u00e9\": tru}");
    REQUIRE(utf8.size() == 1);
    CHECK(utf8[0].location == "line 1, column 11");
    CHECK(errors_of("")[0].location == "line 1, column 1");
    // An unexpected token is shown where it starts, not where the parser finished reading it.
    CHECK(errors_of("{\"version\": 1\n \"tun\\\"nels\": []}") ==
          Errors{{"line 2, column 2",
                  "syntax error while parsing object - unexpected string literal; expected '}'"}});
    CHECK(errors_of("{\"version\" 12}")[0].location == "line 1, column 12");
    // Ill-formed UTF-8 is a syntax error, and its bytes are not echoed raw.
    CHECK(errors_of("{\"version\": 1, \"tunnels\": [], \"\xff\": 1}") ==
          Errors{{"line 1, column 32", "syntax error while parsing object key - invalid string: "
                                       "ill-formed UTF-8 byte; last read: '\"\\xff'; expected "
                                       "string literal"}});
    CHECK(errors_of("{\"version\": 1, \"tunnels\": []} x")[0].location == "line 1, column 31");
  }

  TEST_CASE("the document is an object with a version") {
    CHECK(
        errors_of("[]") ==
        Errors{{"/", R"(expected an object such as {"version": 1, "tunnels": []}, got an array)"}});
    CHECK(errors_of(R"({"tunnels": []})") ==
          Errors{{"/", "missing required key 'version'; this fouctl reads version 1"}});
    CHECK(errors_of(R"({"version": 1})") ==
          Errors{{"/", "missing required key 'tunnels', an array of tunnels ([] for none)"}});
    CHECK(errors_of(R"({"version": "1", "tunnels": []})") ==
          Errors{{"/version", R"(expected an integer, got the string "1")"}});
    CHECK(errors_of(R"({"version": 0, "tunnels": []})") ==
          Errors{{"/version", "config version 0 does not exist; this fouctl reads 1"}});
    CHECK(errors_of(R"({"tunnels": {}, "version": 1})") ==
          Errors{{"/tunnels", "expected an array of tunnels, got an object"}});
    CHECK(errors_of(R"({"version": 1, "tunnels": [5, null]})") ==
          Errors{{"/tunnels/0", "expected an object (a tunnel), got the number 5"},
                 {"/tunnels/1", "expected an object (a tunnel), got null"}});
  }

  TEST_CASE("a newer version is refused before anything else is read") {
    CHECK(errors_of(R"({"tunnels": [{"future_key": 1}], "version": 2, "also_new": true})") ==
          Errors{{"/version", "config version 2 is newer than this fouctl understands (1)"}});
  }

  TEST_CASE("unknown keys, with the key that was probably meant") {
    CHECK(errors_of(one_tunnel(R"(, "mtus": 100, "peers": "192.0.2.2", "MTU": 1)")) ==
          Errors{{"/tunnels/0/mtus", "unknown key 'mtus'; did you mean 'mtu'?"},
                 {"/tunnels/0/peers", "unknown key 'peers'; did you mean 'peer'?"},
                 {"/tunnels/0/MTU", "unknown key 'MTU'; did you mean 'mtu'?"}});
    // A misspelt required key is not also reported missing.
    CHECK(errors_of(R"({"version": 1, "tunnels": [
                         {"rx-port": 2001, "tx_port": 2002, "remote": ["10.0.2.2"]}]})") ==
          Errors{{"/tunnels/0/rx-port", "unknown key 'rx-port'; did you mean 'rx_port'?"},
                 {"/tunnels/0/remote", "unknown key 'remote'; did you mean 'routes'?"}});
    CHECK(errors_of(one_tunnel(R"(, "colour": "blue")")) ==
          Errors{{"/tunnels/0/colour",
                  "unknown key 'colour'; a tunnel has name, rx_port, tx_port, peer, local, "
                  "routes, addresses, mtu, mode, encap, offload, framing, tun_device, bind_peer and peer_port_fixed"}});
    CHECK(errors_of(R"({"version": 1, "tunnel": []})") ==
          Errors{{"/tunnel", "unknown key 'tunnel'; did you mean 'tunnels'?"}});
    CHECK(errors_of(R"({"version": 1, "tunnels": [], "comment": "x"})") ==
          Errors{{"/comment", "unknown key 'comment'; the top level has version and tunnels"}});
    CHECK(errors_of(R"({"version": 1, "tunnels": [], "rx_port": 1})") ==
          Errors{
              {"/rx_port", R"('rx_port' is a key of a tunnel; tunnels go in "tunnels": [{...}])"}});
    // JSON pointers escape '/' and '~'.
    CHECK(errors_of(R"({"version": 1, "tunnels": [], "a/b~c": 1})")[0].location == "/a~1b~0c");
  }

  TEST_CASE("missing required tunnel keys") {
    CHECK(
        errors_of(R"({"version": 1, "tunnels": [{"name": "x"}]})") ==
        Errors{{"/tunnels/0", "missing required key 'rx_port', the UDP port this end receives on"},
               {"/tunnels/0", "missing required key 'tx_port', the UDP port packets are sent to"},
               {"/tunnels/0", "missing required key 'routes', the addresses or subnets to "
                              "route into the tunnel"}});
  }

  TEST_CASE("types are strict") {
    CHECK(
        errors_of(R"({"version": 1, "tunnels": [{"rx_port": "2001", "tx_port": 2002.0,
                        "routes": "10.0.2.2", "peer": 5, "peer_port_fixed": "yes",
                        "local": null, "mtu": true}]})") ==
        Errors{
            {"/tunnels/0/rx_port", R"(expected an integer, got the string "2001")"},
            {"/tunnels/0/tx_port", "expected an integer from 1 to 65535, got the number 2002.0"},
            {"/tunnels/0/routes", R"(expected an array of strings, got the string "10.0.2.2")"},
            {"/tunnels/0/peer", "expected a string, got the number 5"},
            {"/tunnels/0/peer_port_fixed", R"(expected true or false, got the string "yes")"},
            {"/tunnels/0/local", "expected a string, got null; leave the key out for the default"},
            {"/tunnels/0/mtu", "expected an integer, got true"}});
    CHECK(errors_of(one_tunnel(R"(, "addresses": ["10.0.1.1/24", 7, ["x"]])")) ==
          Errors{{"/tunnels/0/addresses/1", "expected a string, got the number 7"},
                 {"/tunnels/0/addresses/2", "expected a string, got an array"}});
  }

  TEST_CASE("numbers out of range") {
    CHECK(errors_of(one_tunnel(R"(, "mtu": 67)",
                               R"("rx_port": 70000, "tx_port": -1, "routes": ["10.0.2.2"])")) ==
          Errors{{"/tunnels/0/rx_port", "70000 is not a number from 1 to 65535"},
                 {"/tunnels/0/tx_port", "-1 is not a number from 1 to 65535"},
                 {"/tunnels/0/mtu", "67 is not a number from 68 to 65507"}});
    CHECK(errors_of(one_tunnel(R"(, "mtu": 65508)",
                               R"("rx_port": 0, "tx_port": 1, "routes": ["10.0.2.2"])")) ==
          Errors{{"/tunnels/0/rx_port", "0 is not a number from 1 to 65535"},
                 {"/tunnels/0/mtu", "65508 is not a number from 68 to 65507"}});
    CHECK(errors_of(one_tunnel(R"(, "mtu": 18446744073709551616)")) ==
          Errors{{"/tunnels/0/mtu",
                  "expected an integer from 68 to 65507, got the number 1.8446744073709552e+19"}});
  }

  TEST_CASE("a key given twice is an error, not a silent override") {
    CHECK(errors_of(one_tunnel(R"(, "mtu": 100, "mtu": 200)")) ==
          Errors{{"/tunnels/0/mtu", "key 'mtu' is given more than once"}});
    CHECK(errors_of(R"({"version": 1, "version": 1, "tunnels": []})") ==
          Errors{{"/version", "key 'version' is given more than once"}});
    // Inside a value that is wrong anyway, still reported.
    CHECK(errors_of(
              one_tunnel(R"(, "routes": [{"a": 1, "a": 2}])", R"("rx_port": 1, "tx_port": 2)")) ==
          Errors{{"/tunnels/0/routes/0", "expected a string, got an object"},
                 {"/tunnels/0/routes/0/a", "this key is given more than once"}});
  }

  TEST_CASE("format: FILE: LOCATION: MESSAGE on one line") {
    config::Diagnostic d{"/tunnels/0/rx_port", "70000 is not a number from 1 to 65535"};
    CHECK(config::format(d, "fouctl.json") ==
          "fouctl.json: /tunnels/0/rx_port: 70000 is not a number from 1 to 65535");
    CHECK(config::format(d, "") == "/tunnels/0/rx_port: 70000 is not a number from 1 to 65535");
    auto e = errors_of("{\"version\": 1, \"tunnels\": [], \"a\\nb\": 1}");
    REQUIRE(e.size() == 1);
    CHECK(config::format(e[0], "f") == "f: /a\\x0ab: unknown key 'a\\x0ab'; the top level has "
                                       "version and tunnels");
  }
}

TEST_SUITE("config::write_config") {
  TEST_CASE("every example config survives write_config -> parse_config unchanged") {
    for (const auto &entry : std::filesystem::directory_iterator(examples_dir())) {
      if (entry.path().extension() != ".json")
        continue;
      CAPTURE(entry.path().string());
      auto first = config::parse_config(read_example(entry.path().filename().string()));
      REQUIRE(first.config);
      auto again = config::parse_config(config::write_config(first.config->tunnels));
      REQUIRE_MESSAGE(again.config, config::write_config(first.config->tunnels));
      CHECK(again.config->tunnels == first.config->tunnels);
    }
  }

  TEST_CASE("encap, and an MTU given or not, as on the command line") {
    auto gue = valid(one_tunnel(R"(, "encap": "gue", "peer": "192.0.2.2")")).tunnels.at(0);
    CHECK(gue.encap == config::Encap::gue);
    CHECK(gue.mtu == 1468); // 1500 less IPv4 20, UDP 8, GUE 4, until the underlay says more
    CHECK(spec_text(gue) ==
          spec_text(from_cli({"up", "2001", "2002", "10.0.2.2", "--encap", "gue", "--peer", "192.0.2.2"})));
    auto given = valid(one_tunnel(R"(, "mtu": 1472)")).tunnels.at(0);
    CHECK_FALSE(given.mtu_auto);
    CHECK(spec_text(given) == spec_text(from_cli({"up", "2001", "2002", "10.0.2.2", "1472"})));
    CHECK(errors_of(one_tunnel(R"(, "encap": "vxlan")")) ==
          Errors{{"/tunnels/0/encap", "encap 'vxlan' is not one of fou, gue"}});
    CHECK(errors_of(one_tunnel(R"(, "encap": "gue", "framing": "tun-pi")")).size() == 1);
    // Written back: an MTU that was given stays, one that was not stays out.
    for (const auto &t : {gue, given}) {
      auto text = config::write_config({t});
      CHECK((text.find(R"("encap": "gue")") != std::string::npos) == (t.encap == config::Encap::gue));
      CHECK((text.find(R"("mtu")") != std::string::npos) == !t.mtu_auto);
      auto back = config::parse_config(text);
      REQUIRE_MESSAGE(back.config, text);
      CHECK(back.config->tunnels[0] == t);
    }
  }

  TEST_CASE("a relay tunnel with every option set, as `up` hands it to a unit") {
    auto spec = from_cli({"up", "7000", "7001", "10.70.0.0/24,fd00:70::/64", "1300", "--peer",
                          "192.0.2.7", "--local", "192.0.2.1", "--address", "10.70.1.1/24",
                          "--name", "relay7", "--mode", "userspace", "--framing", "tun-pi",
                          "--peer-port-fixed"});
    auto text = config::write_config({spec});
    auto back = config::parse_config(text);
    REQUIRE_MESSAGE(back.config, text);
    REQUIRE(back.config->tunnels.size() == 1);
    CHECK(back.config->tunnels[0] == spec);
    // Defaults are left out, not written.
    auto plain = from_cli({"up", "2001", "2002", "10.0.2.2"});
    auto short_text = config::write_config({plain});
    CHECK(short_text.find("mtu") == std::string::npos);
    CHECK(short_text.find("mode") == std::string::npos);
    CHECK(config::parse_config(short_text).config->tunnels[0] == plain);
  }
}

TEST_SUITE("config::file") {
  TEST_CASE("offload: auto, on or off, for kernel tunnels only, written back") {
    auto ok = config::parse_config(
        R"({"version": 1, "tunnels": [{"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2/32"],)"
        R"( "offload": "on"}]})");
    REQUIRE(ok.config);
    CHECK(ok.config->tunnels[0].offload == config::Offload::on);
    CHECK(config::write_config(ok.config->tunnels).find(R"("offload": "on")") != std::string::npos);
    auto bad = config::parse_config(
        R"({"version": 1, "tunnels": [{"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2/32"],)"
        R"( "offload": "maybe"}]})");
    REQUIRE_FALSE(bad.config);
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].location == "/tunnels/0/offload");
    CHECK(bad.errors[0].message == "offload must be auto, on or off, not 'maybe'");
    auto relay = config::parse_config(
        R"({"version": 1, "tunnels": [{"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2/32"],)"
        R"( "mode": "userspace", "offload": "off"}]})");
    REQUIRE_FALSE(relay.config);
    CHECK(relay.errors[0].message.find("offload is a setting of kernel tunnels") != std::string::npos);
  }
}
