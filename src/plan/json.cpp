#include "fouctl/plan/json.hpp"

#include <nlohmann/json.hpp>

#include "fouctl/config/file.hpp"

namespace fouctl::plan {

namespace {

using Json = nlohmann::ordered_json;

struct Sides {
  Json before;
  Json after;
};

Json prefix(const util::Prefix &p) {
  Json j;
  j["prefix"] = p.to_string();
  return j;
}

// mtu_auto too: rewriting the kernel device's mark alone (the MTU now given, or now
// following the underlay) is a set_mtu whose "mtu" does not change.
Json mtu(const config::TunnelSpec &s) {
  Json j;
  j["mtu"] = s.mtu;
  j["mtu_auto"] = s.mtu_auto;
  return j;
}

// What change_encap rewrites on the device: where it sends to and from.
Json outer(const config::TunnelSpec &s) {
  Json j;
  j["tx_port"] = s.tx_port;
  j["peer"] = s.peer.to_string();
  j["local"] = s.local.is_set() ? Json(s.local.to_string()) : Json(nullptr);
  return j;
}

Json one(const char *key, Json value) {
  Json j;
  j[key] = std::move(value);
  return j;
}

Sides sides(const Action &a) {
  switch (a.kind) {
  case ActionKind::remove:
    return {config::tunnel_to_json(a.spec), nullptr};
  case ActionKind::create:
    return {nullptr, config::tunnel_to_json(a.spec)};
  case ActionKind::del_route:
  case ActionKind::del_address:
    return {prefix(a.prefix), nullptr};
  case ActionKind::add_route:
  case ActionKind::add_address:
    return {nullptr, prefix(a.prefix)};
  case ActionKind::set_mtu:
    return {mtu(a.before), mtu(a.spec)};
  case ActionKind::change_encap:
    return {outer(a.before), outer(a.spec)};
  case ActionKind::change_port:
    return {one("rx_port", a.before.rx_port), one("rx_port", a.spec.rx_port)};
  case ActionKind::set_offload:
    return {one("offload", config::to_string(a.before.offload)),
            one("offload", config::to_string(a.spec.offload))};
  case ActionKind::link_up:
    return {one("up", false), one("up", true)};
  case ActionKind::link_down:
    return {one("up", true), one("up", false)};
  }
  return {nullptr, nullptr};
}

} // namespace

Change classify(ActionKind kind) {
  switch (kind) {
  case ActionKind::remove:
    return {"remove", "remove", "tunnel"};
  case ActionKind::del_route:
    return {"del_route", "remove", "route"};
  case ActionKind::del_address:
    return {"del_address", "remove", "address"};
  case ActionKind::set_mtu:
    return {"set_mtu", "change", "mtu"};
  case ActionKind::change_encap:
    return {"change_encap", "change", "encap"};
  case ActionKind::change_port:
    return {"change_port", "change", "port"};
  case ActionKind::set_offload:
    return {"set_offload", "change", "offload"};
  case ActionKind::link_up:
    return {"link_up", "change", "link"};
  case ActionKind::link_down:
    return {"link_down", "change", "link"};
  case ActionKind::add_address:
    return {"add_address", "create", "address"};
  case ActionKind::add_route:
    return {"add_route", "create", "route"};
  case ActionKind::create:
    return {"create", "create", "tunnel"};
  }
  return {"?", "?", "?"};
}

nlohmann::ordered_json change_to_json(const Action &a, const std::string &note) {
  const auto c = classify(a.kind);
  auto s = sides(a);
  Json j;
  j["action"] = c.action;
  j["object"] = c.object;
  j["tunnel"] = a.tunnel;
  j["op"] = c.op;
  j["before"] = std::move(s.before);
  j["after"] = std::move(s.after);
  j["command"] = describe(a);
  if (!note.empty())
    j["note"] = note;
  return j;
}

nlohmann::ordered_json plan_to_json(const std::vector<Action> &actions,
                                    const std::string &config_path,
                                    std::span<const std::string> notes) {
  Json doc;
  doc["schema"] = k_json_schema;
  doc["config"] = config_path;
  auto &changes = doc["changes"] = Json::array();
  for (std::size_t i = 0; i < actions.size(); ++i)
    changes.push_back(change_to_json(actions[i], i < notes.size() ? notes[i] : std::string()));
  doc["pending"] = actions.size();
  return doc;
}

} // namespace fouctl::plan
