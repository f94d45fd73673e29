#pragma once
// What the bpf backend's up, down and status read first: the namespace's datapath, its
// tunnels, and the kernel's routes, addresses and links they depend on. Internal to
// src/backend/bpf*.cpp.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fouctl/backend/status.hpp"
#include "fouctl/bpf/datapath.hpp"
#include "fouctl/bpf/tables.hpp"
#include "fouctl/nl/host_addr.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/nl/lwt.hpp"

namespace fouctl::backend {

struct BpfView {
  std::optional<std::string> pins;  // the pin directory, if there is a bpffs
  std::optional<bpf::Datapath> dp;  // none: no bpf tunnel was ever up here (or all are down)
  std::vector<std::pair<std::uint32_t, fouctl_tunnel>> tunnels;
  std::vector<std::pair<util::Prefix, std::uint32_t>> lpm; // inner prefix -> tunnel id
  std::vector<nl::LwtRoute> routes; // the main table's BPF routes
  std::vector<nl::HostAddr> addrs;
  std::vector<nl::LinkInfo> links;

  [[nodiscard]] const nl::LinkInfo *link(int ifindex) const;
  [[nodiscard]] const nl::LinkInfo *link(const std::string &name) const;
  [[nodiscard]] int lo() const;
  [[nodiscard]] std::vector<util::Prefix> prefixes_of(std::uint32_t id) const;
  // fouctl's BPF route to `p` through `ifindex`, if the kernel has it.
  [[nodiscard]] const nl::LwtRoute *route(const util::Prefix &p, int ifindex) const;
  // fouctl's host address `a` on lo (proto 252), if there.
  [[nodiscard]] const nl::HostAddr *host_addr(const util::IpAddr &a) const;
  [[nodiscard]] const std::pair<std::uint32_t, fouctl_tunnel> *by_name(const std::string &n) const;
};

// `create`: mount bpffs and make the pin directory if needed (up); status and down only
// look.
util::Result<BpfView> read_view(nl::Socket &rt, bool create);
TunnelStatus status_of(const BpfView &v, std::uint32_t id, const fouctl_tunnel &t);
// The host prefix an address gets on lo (/32, /128).
util::Prefix host_prefix(const util::Prefix &p);

} // namespace fouctl::backend
