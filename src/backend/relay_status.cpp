// What a running relay reports about itself (its control socket's "status" answer), and
// how that compares with a requested tunnel.
#include <unistd.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "fouctl/backend/userspace.hpp"
#include "fouctl/backend/runtime.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;

Result<TunnelStatus> parse_relay_status(const std::string &name, const std::string &text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::system, "relay '" + name + "' answered with something unreadable");
  TunnelStatus s;
  try {
    s.name = name;
    s.mode = "userspace";
    s.up = true;
    s.pid = j.at("pid").get<int>();
    s.uid = j.at("uid").get<unsigned>();
    s.rx_port = j.at("rx_port").get<std::uint16_t>();
    s.tx_port = j.at("tx_port").get<std::uint16_t>();
    s.rx_port_open = true;
    if (auto p = util::parse_addr(j.at("peer").get<std::string>()))
      s.peer = *p;
    if (auto l = util::parse_addr(j.at("local").get<std::string>()))
      s.local = *l;
    s.mtu = j.at("mtu").get<std::uint32_t>();
    s.framing = j.at("framing").get<std::string>();
    s.tun_device = j.at("tun_device").get<std::string>();
    s.peer_port_fixed = j.at("peer_port_fixed").get<bool>();
    const auto &c = j.at("counters");
    s.counters.rx_packets = c.at("rx_packets").get<std::uint64_t>();
    s.counters.rx_bytes = c.at("rx_bytes").get<std::uint64_t>();
    s.counters.tx_packets = c.at("tx_packets").get<std::uint64_t>();
    s.counters.tx_bytes = c.at("tx_bytes").get<std::uint64_t>();
    for (const auto &[reason, n] : j.at("drops").items()) {
      s.drops.emplace_back(reason, n.get<std::uint64_t>());
      // udp_send and too_big happen on the way out (TUN to UDP), the rest on the way in.
      bool out = reason == "udp_send" || reason == "too_big";
      (out ? s.counters.tx_dropped : s.counters.rx_dropped) += n.get<std::uint64_t>();
    }
  } catch (const nlohmann::json::exception &e) {
    return fail(ErrorKind::system, "relay '" + name + "' sent incomplete status: " + e.what());
  }
  return s;
}

std::vector<TunnelStatus> UserspaceBackend::statuses(const std::vector<RelayRef> &refs,
                                                     const Observed &obs) {
  std::vector<TunnelStatus> out;
  for (const auto &ref : refs) {
    auto client = connect_relay(ref);
    if (!client) {
      if (client.error().kind == ErrorKind::conflict)
        m_warnings.push_back(client.error().message);
      else if (client.error().kind == ErrorKind::not_found)
        (void)relay::remove_stale(ref.dir, ref.name); // killed: its files stay behind
      continue;
    }
    auto reply = client->request("status");
    if (!reply)
      continue; // exited meanwhile
    auto s = parse_relay_status(ref.name, *reply);
    if (!s) {
      m_warnings.push_back(s.error().message);
      continue;
    }
    s->pid = client->pid(); // the authenticated peer, not what the answer says
    const auto *link = obs.link_by_name(s->tun_device.empty() ? ref.name : s->tun_device);
    if (link) {
      s->ifindex = link->ifindex;
      s->up = link->is_up();
      s->routes = obs.routes_through(link->ifindex);
      for (const auto &r : obs.routes_of(link->ifindex))
        s->owned_routes.push_back(r.dst);
      s->addresses = obs.addrs_of(link->ifindex);
    }
    out.push_back(*s);
  }
  return out;
}

std::vector<TunnelStatus> UserspaceBackend::list() {
  auto dir = runtime_dir(false);
  auto own = dir ? relay::list_relays(dir->relay_dir) : std::vector<std::string>{};
  // Without relays of its own, only root looks further (other users' TUN relays).
  if (own.empty() && ::geteuid() != 0)
    return {};
  auto obs = observe();
  return list(obs ? *obs : Observed{});
}

std::vector<TunnelStatus> UserspaceBackend::list(const Observed &obs) {
  return statuses(relay_refs(&obs), obs);
}

std::vector<std::string> relay_differences(const config::TunnelSpec &spec,
                                                  const TunnelStatus &now) {
  std::vector<std::string> d;
  auto differ = [&](const std::string &what, const std::string &have, const std::string &want) {
    if (have != want)
      d.push_back(what + " is " + have + ", not " + want);
  };
  differ("receive port", std::to_string(now.rx_port), std::to_string(spec.rx_port));
  differ("transmit port", std::to_string(now.tx_port), std::to_string(spec.tx_port));
  differ("peer", now.peer.to_string(), spec.peer.to_string());
  differ("local", now.local.to_string(), spec.local.to_string());
  differ("MTU", std::to_string(now.mtu), std::to_string(spec.mtu));
  differ("framing", now.framing, config::to_string(spec.framing));
  differ("TUN device", now.tun_device.empty() ? "its own" : now.tun_device,
         spec.tun_device.empty() ? "its own" : spec.tun_device);
  if (now.peer_port_fixed != spec.peer_port_fixed)
    d.push_back("peer-port-fixed differs");
  for (const auto &r : now.owned_routes)
    if (std::find(spec.routes.begin(), spec.routes.end(), r) == spec.routes.end())
      d.push_back("it routes " + r.to_string() + ", which is not asked for");
  return d;
}

} // namespace fouctl::backend
