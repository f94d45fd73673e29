#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fouctl/config/file.hpp"
#include "fouctl/plan/json.hpp"

using namespace fouctl;
using plan::ActionKind;
using Json = nlohmann::ordered_json;

namespace {

util::Prefix pfx(const std::string &s) { return *util::parse_prefix(s, false); }

config::TunnelSpec kernel_spec() {
  config::TunnelSpec s;
  s.name = "fou5555";
  s.rx_port = 5555;
  s.tx_port = 5556;
  s.peer = *util::parse_addr("192.0.2.1");
  s.routes = {pfx("10.0.0.0/24")};
  s.addresses = {pfx("10.9.0.1/24")};
  s.mtu = 1400;
  s.mode = config::Mode::kernel;
  s.offload = config::Offload::off;
  return s;
}

plan::Action action(ActionKind kind, util::Prefix prefix = {}) {
  auto after = kernel_spec();
  return plan::Action{kind, "fou5555", after, after, prefix};
}

} // namespace

TEST_SUITE("plan::json") {
  TEST_CASE("every ActionKind has its op, action and object") {
    using C = plan::Change;
    CHECK(plan::classify(ActionKind::remove) == C{"remove", "remove", "tunnel"});
    CHECK(plan::classify(ActionKind::del_route) == C{"del_route", "remove", "route"});
    CHECK(plan::classify(ActionKind::del_address) == C{"del_address", "remove", "address"});
    CHECK(plan::classify(ActionKind::set_mtu) == C{"set_mtu", "change", "mtu"});
    CHECK(plan::classify(ActionKind::change_encap) == C{"change_encap", "change", "encap"});
    CHECK(plan::classify(ActionKind::change_port) == C{"change_port", "change", "port"});
    CHECK(plan::classify(ActionKind::set_offload) == C{"set_offload", "change", "offload"});
    CHECK(plan::classify(ActionKind::link_up) == C{"link_up", "change", "link"});
    CHECK(plan::classify(ActionKind::link_down) == C{"link_down", "change", "link"});
    CHECK(plan::classify(ActionKind::add_address) == C{"add_address", "create", "address"});
    CHECK(plan::classify(ActionKind::add_route) == C{"add_route", "create", "route"});
    CHECK(plan::classify(ActionKind::create) == C{"create", "create", "tunnel"});
  }

  TEST_CASE("a creation and a removal carry the tunnel as the config file spells it") {
    auto spec = kernel_spec();
    auto created = plan::change_to_json(action(ActionKind::create));
    CHECK(created["before"].is_null());
    CHECK(created["after"] == config::tunnel_to_json(spec));
    CHECK(created["after"]["name"] == "fou5555");
    CHECK(created["after"]["rx_port"] == 5555);
    CHECK(created["after"]["peer"] == "192.0.2.1");
    CHECK(created["after"]["routes"] == Json::array({"10.0.0.0/24"}));
    CHECK(created["after"]["addresses"] == Json::array({"10.9.0.1/24"}));
    CHECK(created["after"]["mtu"] == 1400);
    CHECK(created["after"]["mode"] == "kernel");
    CHECK(created["after"]["offload"] == "off");
    CHECK(created["command"] == plan::describe(action(ActionKind::create)));
    // The same object parses back as a config's tunnel.
    Json file{{"version", 1}, {"tunnels", Json::array({created["after"]})}};
    auto parsed = config::parse_config(file.dump());
    REQUIRE(parsed.config);
    CHECK(parsed.config->tunnels.at(0) == spec);

    auto removed = plan::change_to_json(action(ActionKind::remove));
    CHECK(removed["action"] == "remove");
    CHECK(removed["object"] == "tunnel");
    CHECK(removed["before"] == config::tunnel_to_json(spec));
    CHECK(removed["after"].is_null());
  }

  TEST_CASE("routes and addresses carry their prefix on the side that has it") {
    auto add = plan::change_to_json(action(ActionKind::add_route, pfx("10.1.0.0/16")));
    CHECK(add.dump() ==
          R"({"action":"create","object":"route","tunnel":"fou5555","op":"add_route",)"
          R"("before":null,"after":{"prefix":"10.1.0.0/16"},)"
          R"("command":"ip route add 10.1.0.0/16 dev fou5555 proto 252 scope link"})");
    auto del = plan::change_to_json(action(ActionKind::del_address, pfx("10.9.0.1/24")));
    CHECK(del["before"] == Json{{"prefix", "10.9.0.1/24"}});
    CHECK(del["after"].is_null());
    CHECK(del["command"] == "ip addr del 10.9.0.1/24 dev fou5555");
    CHECK(plan::change_to_json(action(ActionKind::add_address, pfx("10.9.0.2/32")))["after"] ==
          Json{{"prefix", "10.9.0.2/32"}});
    CHECK(plan::change_to_json(action(ActionKind::del_route, pfx("10.0.0.0/24")))["before"] ==
          Json{{"prefix", "10.0.0.0/24"}});
  }

  TEST_CASE("in-place changes carry the fields they change, before and after") {
    auto a = action(ActionKind::set_mtu);
    a.before.mtu = 1472;
    a.before.mtu_auto = true;
    auto m = plan::change_to_json(a);
    CHECK(m["before"] == Json{{"mtu", 1472}, {"mtu_auto", true}});
    CHECK(m["after"] == Json{{"mtu", 1400}, {"mtu_auto", false}});

    a = action(ActionKind::change_encap);
    a.before.tx_port = 6000;
    a.spec.local = *util::parse_addr("192.0.2.9");
    auto e = plan::change_to_json(a);
    CHECK(e["before"] == Json{{"tx_port", 6000}, {"peer", "192.0.2.1"}, {"local", nullptr}});
    CHECK(e["after"] == Json{{"tx_port", 5556}, {"peer", "192.0.2.1"}, {"local", "192.0.2.9"}});

    a = action(ActionKind::change_port);
    a.before.rx_port = 5000;
    auto port = plan::change_to_json(a);
    CHECK(port["before"] == Json{{"rx_port", 5000}});
    CHECK(port["after"] == Json{{"rx_port", 5555}});

    a = action(ActionKind::set_offload);
    a.before.offload = config::Offload::on;
    auto o = plan::change_to_json(a);
    CHECK(o["before"] == Json{{"offload", "on"}});
    CHECK(o["after"] == Json{{"offload", "off"}});
    CHECK(o["command"] == "ethtool -K fou5555 tx off");

    auto up = plan::change_to_json(action(ActionKind::link_up));
    CHECK(up["before"] == Json{{"up", false}});
    CHECK(up["after"] == Json{{"up", true}});
    auto down = plan::change_to_json(action(ActionKind::link_down));
    CHECK(down["before"] == Json{{"up", true}});
    CHECK(down["after"] == Json{{"up", false}});
    CHECK(down["command"] == "ip link set dev fou5555 down");
  }

  TEST_CASE("every change has the same keys, in order; a note only when there is one") {
    const std::vector<std::string> keys{"action", "object", "tunnel", "op", "before", "after", "command"};
    for (auto kind : {ActionKind::remove, ActionKind::del_route, ActionKind::del_address,
                      ActionKind::set_mtu, ActionKind::change_encap, ActionKind::change_port,
                      ActionKind::set_offload, ActionKind::link_up, ActionKind::link_down,
                      ActionKind::add_address, ActionKind::add_route, ActionKind::create}) {
      auto j = plan::change_to_json(action(kind, pfx("10.0.0.0/24")));
      std::vector<std::string> got;
      for (const auto &[k, v] : j.items())
        got.push_back(k);
      CHECK(got == keys);
      CHECK(j["op"].get<std::string>() == plan::classify(kind).op);
      // null exactly on the side of a creation or removal that has nothing
      CHECK(j["before"].is_null() == (plan::classify(kind).action == "create"));
      CHECK(j["after"].is_null() == (plan::classify(kind).action == "remove"));
    }
    auto noted = plan::change_to_json(action(ActionKind::create), "MTU 1472 of 'fou5555': x");
    CHECK(noted["note"] == "MTU 1472 of 'fou5555': x");
  }

  TEST_CASE("the document: schema, config, changes in plan order, pending") {
    auto empty = plan::plan_to_json({}, "/etc/fouctl/fouctl.json");
    CHECK(empty.dump() ==
          R"({"schema":"fouctl-plan/1","config":"/etc/fouctl/fouctl.json","changes":[],"pending":0})");

    std::vector<plan::Action> actions{action(ActionKind::del_route, pfx("10.0.0.0/24")),
                                      action(ActionKind::set_mtu),
                                      action(ActionKind::add_route, pfx("10.1.0.0/24"))};
    std::vector<std::string> notes{"", "MTU 1400 of 'fou5555': from eth0"};
    auto doc = plan::plan_to_json(actions, "a.json", notes);
    CHECK(doc["schema"] == "fouctl-plan/1");
    CHECK(doc["config"] == "a.json");
    CHECK(doc["pending"] == 3);
    REQUIRE(doc["changes"].size() == 3);
    CHECK(doc["changes"][0]["op"] == "del_route");
    CHECK_FALSE(doc["changes"][0].contains("note"));
    CHECK(doc["changes"][1]["note"] == "MTU 1400 of 'fou5555': from eth0");
    CHECK(doc["changes"][2]["op"] == "add_route");
    CHECK_FALSE(doc["changes"][2].contains("note")); // past the end of `notes`
  }
}
