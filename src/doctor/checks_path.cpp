// The checks on the way between the peers: route, MTU, reverse-path filter, forwarding,
// firewall. Pure: they read Facts only.
#include <algorithm>

#include <fmt/format.h>

#include "fouctl/config/tunnel.hpp"
#include "fouctl/doctor/checks.hpp"

namespace fouctl::doctor {

namespace {

Finding make(const char *check, Severity s, std::string message) {
  return Finding{check, s, std::move(message)};
}

std::string peer_text(const backend::TunnelStatus &t) {
  return t.peer.to_string() + (t.local.is_set() ? " from " + t.local.to_string() : "");
}

} // namespace

Finding check_route(const Facts &f) {
  const auto &t = f.tunnel;
  const auto &p = f.path;
  if (p.loopback_peer)
    return make("route", Severity::ok, "the peer " + t.peer.to_string() + " is on loopback");
  if (!p.error.empty()) {
    auto r = make("route", Severity::fail, "no route to the peer " + t.peer.to_string());
    r.evidence.push_back("ip route get " + peer_text(t) + ": " + p.error);
    r.fix = fmt::format("ip route add {} via GATEWAY dev DEVICE  (the way to the peer)",
                        t.peer.to_string());
    return r;
  }
  if (!p.local_error.empty()) {
    auto r = make("route", Severity::fail,
                  "the tunnel's local address " + t.local.to_string() + " cannot be used as a source");
    r.evidence.push_back("ip route get " + peer_text(t) + ": " + p.local_error);
    r.fix = fmt::format("ip address add {}/{} dev {}", t.local.to_string(),
                        t.local.family == 6 ? 128 : 32, p.dev.empty() ? "DEVICE" : p.dev);
    return r;
  }
  if (p.peer_is_local)
    return make("route", Severity::ok,
                "the peer " + t.peer.to_string() + " is an address of this host");
  std::string via = "via " + p.dev + (p.prefsrc.is_set() ? " src " + p.prefsrc.to_string() : "");
  if (t.local.is_set() && p.prefsrc.is_set() && p.prefsrc != t.local) {
    auto r = make("route", Severity::warn,
                  "the route to " + t.peer.to_string() + " prefers source " + p.prefsrc.to_string() +
                      ", not the tunnel's local " + t.local.to_string());
    r.evidence.push_back("ip route get " + t.peer.to_string() + ": " + via);
    r.evidence.push_back("datagrams still leave from " + t.local.to_string() +
                         "; the peer must accept that address, and replies must come back to it");
    return r;
  }
  return make("route", Severity::ok, "the peer " + t.peer.to_string() + " is reachable " + via);
}

Finding check_mtu(const Facts &f) {
  const auto &t = f.tunnel;
  const auto &p = f.path;
  const auto encap = t.encap == "gue" ? config::Encap::gue : config::Encap::fou;
  const std::uint32_t overhead = config::outer_overhead(t.peer, encap);
  const std::uint32_t mtu = t.relay_mtu != 0 ? t.relay_mtu : t.mtu;
  const std::uint32_t path = p.route_mtu != 0 ? p.route_mtu : p.dev_mtu;
  const std::string path_text = p.route_mtu != 0
                                    ? "the route to " + t.peer.to_string() + " has mtu " +
                                          std::to_string(p.route_mtu)
                                    : p.dev + "'s MTU is " + std::to_string(p.dev_mtu);
  if (p.loopback_peer || p.peer_is_local || !p.error.empty() || path == 0)
    return make("mtu", Severity::ok,
                fmt::format("MTU {} (a path without a known MTU: {})", mtu,
                            p.loopback_peer ? "loopback" : "no route"));
  const std::string sum = fmt::format("{} + {} headers = {}", mtu, overhead, mtu + overhead);
  if (mtu + overhead <= path)
    return make("mtu", Severity::ok, fmt::format("MTU {} fits: {} <= {}", mtu, sum, path));
  const std::uint32_t fits = path > overhead ? path - overhead : 0;
  auto r = make("mtu", Severity::fail,
                fmt::format("the tunnel's MTU {} does not fit the underlay: {} > {}; {} would fit",
                            mtu, sum, path, fits));
  r.evidence.push_back(path_text);
  r.evidence.push_back("full-size packets leave as outer fragments or are answered "
                       "\"fragmentation needed\", and links that drop fragments carry nothing big");
  // Not "fouctl apply": for a tunnel made with `up` that would remove it.
  r.fix = fmt::format("ip link set dev {} mtu {}", t.name, fits) +
          (t.mtu_auto ? "  (or the same fouctl up, or apply for a config's tunnel: the MTU follows the underlay)"
                      : "  (and give " + std::to_string(fits) + " where the tunnel is defined)");
  return r;
}

Finding check_rp_filter(const Facts &f) {
  const auto &t = f.tunnel;
  const int all = f.rp_filter_all.value_or(0), dev = f.rp_filter_dev.value_or(0);
  const int eff = std::max(all, dev);
  const std::uint64_t drops = f.rp_drops.value_or(0);
  const std::string values = fmt::format("net.ipv4.conf.all.rp_filter = {}, net.ipv4.conf.{}.rp_filter = {}",
                                         all, f.rp_dev, dev);
  const std::string counter = fmt::format("IPReversePathFilter = {} packets dropped in this namespace "
                                          "(/proc/net/netstat)",
                                          drops);
  if (eff == 0)
    return make("rp_filter", Severity::ok, "reverse-path filtering is off on " + f.rp_dev);
  // The larger of all and DEV counts: DEV at 2 makes it loose whatever all says.
  const std::string fix = fmt::format("sysctl -w net.ipv4.conf.{}.rp_filter=2", f.rp_dev);
  if (eff == 2) {
    if (drops == 0)
      return make("rp_filter", Severity::ok, "reverse-path filtering is loose on " + f.rp_dev);
    auto r = make("rp_filter", Severity::warn,
                  "loose reverse-path filtering dropped packets from sources without any route");
    r.evidence = {values, counter};
    return r;
  }
  std::string routes;
  for (const auto &p : t.routes)
    routes += (routes.empty() ? "" : ", ") + p.to_string();
  const std::string where = fmt::format("decapsulated packets arrive on {}; only sources routed back "
                                        "through it pass ({})",
                                        f.rp_dev, routes.empty() ? "no routes" : routes);
  auto r = make("rp_filter", drops > 0 ? Severity::fail : Severity::warn,
                drops > 0 ? "strict reverse-path filtering drops packets from sources not routed "
                            "back through the tunnel"
                          : "strict reverse-path filtering: packets from sources not routed back "
                            "through the tunnel will be dropped");
  r.evidence = {values + " (strict; the larger value counts)", where, counter};
  r.fix = fix + "  (or add the senders' addresses to the tunnel's routes)";
  return r;
}

Finding check_forwarding(const Facts &f) {
  const auto &t = f.tunnel;
  std::vector<std::string> subnets;
  for (const auto &p : t.routes)
    if (p.len < (p.addr.family == 6 ? 128 : 32))
      subnets.push_back(p.to_string());
  if (subnets.empty() || f.forwarding.value_or(true))
    return make("forwarding", Severity::ok,
                subnets.empty() ? "the tunnel routes single hosts only"
                                : "forwarding is on for the subnets the tunnel routes");
  std::string list;
  for (const auto &s : subnets)
    list += (list.empty() ? "" : ", ") + s;
  auto r = make("forwarding", Severity::warn,
                "the tunnel routes subnets (" + list +
                    ") but this host does not forward: hosts behind it cannot use the tunnel");
  for (const auto &k : f.forwarding_keys)
    r.evidence.push_back(k + " = 0");
  std::string fix = "sysctl -w";
  for (const auto &k : f.forwarding_keys)
    fix += " " + k + "=1";
  r.fix = fix + "  (only if this host should route)";
  return r;
}

Finding check_firewall(const Facts &f) {
  const auto &fw = f.firewall;
  const std::string port = "UDP port " + std::to_string(f.tunnel.rx_port);
  if (f.tunnel.mode == "bpf")
    return make("firewall", Severity::ok,
                "the BPF datapath takes " + port + " at tc ingress, before netfilter");
  using O = FirewallFacts::Outcome;
  Finding r;
  switch (fw.outcome) {
  case O::accepted:
    return make("firewall", Severity::ok, "netfilter's input path lets " + port + " from " +
                                              f.tunnel.peer.to_string() + " through");
  case O::unread:
    r = make("firewall", Severity::warn, "the firewall was not read: " + fw.unread_reason);
    return r;
  case O::unknown:
    r = make("firewall", Severity::warn,
             "a rule fouctl cannot evaluate may drop " + port + " from " + f.tunnel.peer.to_string());
    break;
  case O::dropped:
  case O::rejected:
    r = make("firewall", Severity::fail,
             std::string("netfilter ") + (fw.outcome == O::dropped ? "drops " : "rejects ") + port +
                 " from " + f.tunnel.peer.to_string() + " in the input path");
    break;
  }
  if (!fw.evidence.empty())
    r.evidence.push_back(fw.evidence);
  r.fix = fw.fix;
  return r;
}

} // namespace fouctl::doctor
