#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/underlay.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/cli/commands.hpp"
#include "fouctl/plan/json.hpp"

namespace fouctl::cli {

namespace {

nlohmann::json to_json(const backend::TunnelStatus &s) {
  auto list = [](const std::vector<util::Prefix> &v) {
    auto a = nlohmann::json::array();
    for (const auto &p : v)
      a.push_back(p.to_string());
    return a;
  };
  const auto &c = s.counters;
  nlohmann::json relay = nullptr, bpf = nullptr;
  if (s.mode == "bpf") {
    nlohmann::json drops = nlohmann::json::object();
    for (const auto &[reason, n] : s.drops)
      drops[reason] = n;
    bpf = {{"underlay", s.underlay}, {"peer_port_fixed", s.peer_port_fixed}, {"drops", drops}};
  }
  if (s.mode == "userspace") {
    nlohmann::json drops = nlohmann::json::object();
    for (const auto &[reason, n] : s.drops)
      drops[reason] = n;
    relay = {{"pid", s.pid},
             {"uid", s.uid},
             {"framing", s.framing},
             {"tun_device", s.tun_device.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.tun_device)},
             {"peer_port_fixed", s.peer_port_fixed},
             {"checksums_completed", s.checksums_completed},
             {"fragmented", s.fragmented},
             {"drops", drops}};
  }
  return {
      {"name", s.name},
      {"mode", s.mode},
      {"kind", s.kind.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.kind)},
      {"ifindex", s.ifindex},
      {"up", s.up},
      {"rx_port", s.rx_port},
      {"rx_port_open", s.rx_port_open},
      {"tx_port", s.tx_port},
      {"peer", s.peer.to_string()},
      {"local", s.local.is_set() ? nlohmann::json(s.local.to_string()) : nlohmann::json(nullptr)},
      {"mtu", s.mtu},
      {"mtu_auto", s.mtu_auto},
      {"mtu_source", s.mtu_source},
      {"encap", s.encap},
      {"offload", s.offload ? nlohmann::json(*s.offload ? "on" : "off") : nlohmann::json(nullptr)},
      {"routes", list(s.routes)},
      {"addresses", list(s.addresses)},
      {"counters",
       {{"rx_packets", c.rx_packets},
        {"rx_bytes", c.rx_bytes},
        {"tx_packets", c.tx_packets},
        {"tx_bytes", c.tx_bytes},
        {"rx_dropped", c.rx_dropped},
        {"tx_dropped", c.tx_dropped},
        {"rx_errors", c.rx_errors},
        {"tx_errors", c.tx_errors}}},
      {"relay", relay},
      {"bpf", bpf},
  };
}

// "given", or for a tunnel whose MTU follows the underlay, what the underlay gives now;
// different from the device's when the path changed since (apply or up again follows).
std::string mtu_source(nl::Socket &rt, const backend::TunnelStatus &s) {
  if (!s.mtu_auto)
    return "given";
  config::TunnelSpec spec;
  spec.name = s.name;
  spec.peer = s.peer;
  spec.local = s.local;
  spec.encap = s.encap == "gue" ? config::Encap::gue : config::Encap::fou;
  spec.routes = s.routes;
  auto c = backend::underlay_mtu(rt, spec);
  if (!c)
    return "from the underlay, which now says: " + c.error().message;
  const auto mtu = s.relay_mtu != 0 ? s.relay_mtu : s.mtu;
  if (c->mtu != mtu)
    return "from the underlay, which now gives " + std::to_string(c->mtu) + ": " + c->source;
  return "from the underlay: " + c->source;
}

std::string join(const std::vector<util::Prefix> &v) {
  if (v.empty())
    return "(none)";
  std::string out;
  for (const auto &p : v)
    out += (out.empty() ? "" : ", ") + p.to_string();
  return out;
}

void print_text(const backend::TunnelStatus &s, std::ostream &out) {
  out << fmt::format("tunnel {} ({}{}, {})\n", s.name, s.mode, s.kind.empty() ? "" : " " + s.kind,
                     s.up ? "up" : "down");
  out << fmt::format("  receive port: {}{}\n", s.rx_port, s.rx_port_open ? "" : " (NOT OPEN)");
  out << fmt::format("  send to:      {}:{} from {}\n", s.peer.to_string(), s.tx_port,
                     s.local.to_string());
  out << fmt::format("  mtu:          {} ({})\n", s.mtu, s.mtu_source);
  out << fmt::format("  encap:        {}\n", s.encap == "gue" ? "gue (GUE header)" : "fou (direct)");
  if (s.offload)
    out << fmt::format("  tx offload:   {}\n", *s.offload ? "on" : "off");
  out << fmt::format("  routes:       {}\n", join(s.routes));
  out << fmt::format("  addresses:    {}\n", join(s.addresses));
  const auto &c = s.counters;
  out << fmt::format("  rx:           {} packets, {} bytes, {} dropped, {} errors\n", c.rx_packets,
                     c.rx_bytes, c.rx_dropped, c.rx_errors);
  out << fmt::format("  tx:           {} packets, {} bytes, {} dropped, {} errors\n", c.tx_packets,
                     c.tx_bytes, c.tx_dropped, c.tx_errors);
  if (s.mode == "bpf") {
    std::string drops;
    for (const auto &[reason, n] : s.drops)
      drops += (drops.empty() ? "" : ", ") + reason + " " + std::to_string(n);
    out << fmt::format("  bpf:          on {}{}\n", s.underlay,
                       s.peer_port_fixed ? ", bound to the peer's port" : "");
    out << "  drops:        " << drops << '\n';
  }
  if (s.mode != "userspace")
    return;
  out << fmt::format("  relay:        pid {} (uid {}), framing {}{}{}\n", s.pid, s.uid, s.framing,
                     s.tun_device.empty() ? "" : ", on device " + s.tun_device,
                     s.peer_port_fixed ? ", peer port fixed" : "");
  std::string drops;
  for (const auto &[reason, n] : s.drops)
    drops += (drops.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  out << "  drops:        " << drops << '\n';
  out << fmt::format("  checksums:    {} completed for the sender\n", s.checksums_completed);
  out << fmt::format("  fragmented:   {} packets without DF that did not fit the path\n",
                     s.fragmented);
}

} // namespace

util::Result<int> cmd_status(const Invocation &inv, std::ostream &out, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  (void)kernel.ensure_available(false); // status works (without FOU ports) on kernels lacking FOU
  FOUCTL_TRY_ASSIGN(auto obs, kernel.observe());
  std::vector<backend::TunnelStatus> all;
  for (const auto *l : obs.owned())
    if (auto m = backend::parse_mark(l->alias); m && m->mode == "kernel")
      all.push_back(kernel.status_of(*l, obs));
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  for (auto &s : relay.list(obs))
    all.push_back(std::move(s));
  FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
  if (auto bpf_tunnels = bpf.list())
    for (auto &s : *bpf_tunnels)
      all.push_back(std::move(s));
  else if (bpf_tunnels.error().errnum != EPERM && bpf_tunnels.error().errnum != ENOSYS)
    err << "fouctl status: warning: bpf tunnels: " << bpf_tunnels.error().describe() << '\n';
  for (auto &s : all)
    s.mtu_source = mtu_source(kernel.rtnl(), s);
  for (const auto &w : relay.warnings())
    err << "fouctl status: warning: " << w << '\n';
  if (!inv.all) {
    // The IPv6 link-local address the kernel gives every device that is up is not the
    // tunnel's: shown only with --all.
    for (auto &s : all)
      std::erase_if(s.addresses, [](const util::Prefix &p) { return p.addr.is_link_local(); });
  }
  // Drift: what apply would change, against -c FILE or the default config if it exists.
  Pending pending;
  bool compared = inv.config_given || ::access(inv.config_path.c_str(), F_OK) == 0;
  if (compared) {
    FOUCTL_TRY_ASSIGN(pending, pending_actions(inv, err));
  }
  const auto &drift = pending.actions;
  auto drift_of = [&](const std::string &name) {
    std::vector<std::string> d;
    for (const auto &a : drift)
      if (a.tunnel == name)
        d.push_back(plan::describe(a));
    return d;
  };
  if (inv.json) {
    auto arr = nlohmann::json::array();
    for (const auto &s : all) {
      auto j = to_json(s);
      if (compared)
        j["drift"] = drift_of(s.name);
      arr.push_back(j);
    }
    nlohmann::json doc{{"tunnels", arr}};
    if (compared) {
      doc["config"] = inv.config_path;
      doc["drift"] = plan::plan_to_json(drift, inv.config_path, pending.notes);
    }
    out << doc.dump(2) << '\n';
  } else {
    if (all.empty())
      out << "no fouctl tunnels in this network namespace\n";
    for (const auto &s : all) {
      print_text(s, out);
      for (const auto &d : drift_of(s.name))
        out << "  DRIFT:        " << d << '\n';
    }
    for (const auto &a : drift)
      if (std::none_of(all.begin(), all.end(), [&](auto &s) { return s.name == a.tunnel; }))
        out << "DRIFT: " << plan::describe(a) << "   # in " << inv.config_path << ", not up\n";
  }
  return drift.empty() ? k_exit_ok : k_exit_drift;
}

} // namespace fouctl::cli
