#include <nlohmann/json.hpp>

#include "fouctl/config/file.hpp"

namespace fouctl::config {

nlohmann::ordered_json tunnel_to_json(const TunnelSpec &t) {
  const TunnelSpec defaults;
  nlohmann::ordered_json j;
  j["name"] = t.name;
  j["rx_port"] = t.rx_port;
  j["tx_port"] = t.tx_port;
  if (t.peer.is_set())
    j["peer"] = t.peer.to_string();
  if (t.local.is_set())
    j["local"] = t.local.to_string();
  auto &routes = j["routes"] = nlohmann::ordered_json::array();
  for (const auto &r : t.routes)
    routes.push_back(r.to_string());
  if (!t.addresses.empty()) {
    auto &addresses = j["addresses"] = nlohmann::ordered_json::array();
    for (const auto &a : t.addresses)
      addresses.push_back(a.to_string());
  }
  if (!t.mtu_auto) // an MTU from the underlay is found again where the file is used
    j["mtu"] = t.mtu;
  if (t.mode != defaults.mode)
    j["mode"] = to_string(t.mode);
  if (t.encap != defaults.encap)
    j["encap"] = to_string(t.encap);
  if (t.offload != defaults.offload)
    j["offload"] = to_string(t.offload);
  if (t.framing != defaults.framing)
    j["framing"] = to_string(t.framing);
  if (!t.tun_device.empty())
    j["tun_device"] = t.tun_device;
  if (t.peer_port_fixed)
    j["bind_peer"] = true;
  return j;
}

std::string write_config(const std::vector<TunnelSpec> &tunnels) {
  auto doc = nlohmann::ordered_json::object();
  doc["version"] = k_config_version;
  auto &list = doc["tunnels"] = nlohmann::ordered_json::array();
  for (const auto &t : tunnels)
    list.push_back(tunnel_to_json(t));
  return doc.dump(2) + "\n";
}

} // namespace fouctl::config
