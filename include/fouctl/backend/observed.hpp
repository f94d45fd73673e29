#pragma once
// A snapshot of what the kernel has, in the current network namespace, that fouctl cares
// about; read once per command so every decision in it sees one consistent picture.
#include <optional>
#include <vector>

#include "fouctl/backend/ownership.hpp"
#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/fou.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::backend {

struct Observed {
  std::vector<nl::LinkInfo> links;
  std::vector<nl::FouPort> ports; // empty when the kernel has no FOU
  std::vector<nl::RouteInfo> routes;
  std::vector<nl::AddrInfo> addrs;

  [[nodiscard]] const nl::LinkInfo *link_by_name(const std::string &name) const;
  [[nodiscard]] const nl::LinkInfo *link_by_index(int ifindex) const;
  // The fouctl-owned link whose mark names this receive port, if any.
  [[nodiscard]] const nl::LinkInfo *owned_by_port(std::uint16_t rx_port) const;
  [[nodiscard]] std::vector<const nl::LinkInfo *> owned() const;
  // fouctl's own routes (its protocol) through `ifindex`.
  [[nodiscard]] std::vector<nl::RouteInfo> routes_of(int ifindex) const;
  // Every main-table route into `ifindex`, whoever made it (an address's connected route
  // too), without IPv6 link-local: what sends traffic into the tunnel.
  [[nodiscard]] std::vector<util::Prefix> routes_through(int ifindex) const;
  [[nodiscard]] std::vector<util::Prefix> addrs_of(int ifindex) const;
  // The plain IPv4 FOU receive port fouctl opens for a tunnel (no local/peer binding).
  // The FOU port `port` of outer family `family` (4: fou, 6: fou6).
  [[nodiscard]] std::optional<nl::FouPort> fou_port(std::uint16_t port, int family = 4) const;
};

// Reads links, addresses and routes over `rt`, FOU ports over `genl` when given.
// `counters`: whether links carry their statistics (status shows them; planning does not
// need them).
util::Result<Observed> observe(nl::Socket &rt, nl::Socket *genl, int fou_family,
                               bool counters = true);

} // namespace fouctl::backend
