#include "fouctl/backend/observed.hpp"

#include <algorithm>

namespace fouctl::backend {

const nl::LinkInfo *Observed::link_by_name(const std::string &name) const {
  auto it = std::find_if(links.begin(), links.end(), [&](auto &l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}

const nl::LinkInfo *Observed::link_by_index(int ifindex) const {
  auto it = std::find_if(links.begin(), links.end(), [&](auto &l) { return l.ifindex == ifindex; });
  return it == links.end() ? nullptr : &*it;
}

const nl::LinkInfo *Observed::owned_by_port(std::uint16_t rx_port) const {
  for (const auto &l : links)
    if (auto m = parse_mark(l.alias); m && m->rx_port == rx_port)
      return &l;
  return nullptr;
}

std::vector<const nl::LinkInfo *> Observed::owned() const {
  std::vector<const nl::LinkInfo *> out;
  for (const auto &l : links)
    if (parse_mark(l.alias))
      out.push_back(&l);
  return out;
}

std::vector<nl::RouteInfo> Observed::routes_of(int ifindex) const {
  std::vector<nl::RouteInfo> out;
  for (const auto &r : routes)
    if (r.oif == ifindex && r.protocol == nl::k_rtprot_fouctl)
      out.push_back(r);
  return out;
}

std::vector<util::Prefix> Observed::routes_through(int ifindex) const {
  static const util::Prefix link_local = *util::parse_prefix("fe80::/64", true);
  std::vector<util::Prefix> out;
  for (const auto &r : routes)
    if (r.oif == ifindex && r.table == 254 && r.type == 1 && r.dst != link_local)
      out.push_back(r.dst);
  return out;
}

std::vector<util::Prefix> Observed::addrs_of(int ifindex) const {
  std::vector<util::Prefix> out;
  for (const auto &a : addrs)
    if (a.ifindex == ifindex)
      out.push_back(a.prefix);
  return out;
}

std::optional<nl::FouPort> Observed::fou_port(std::uint16_t port, int family) const {
  for (const auto &p : ports)
    if (p.port == port && p.family == family)
      return p;
  return std::nullopt;
}

util::Result<Observed> observe(nl::Socket &rt, nl::Socket *genl, int fou_family, bool counters) {
  Observed o;
  FOUCTL_TRY_ASSIGN(o.links, nl::link_list(rt, counters).map_error(util::context("listing links")));
  FOUCTL_TRY_ASSIGN(o.addrs, nl::addr_list(rt).map_error(util::context("listing addresses")));
  FOUCTL_TRY_ASSIGN(o.routes, nl::route_list(rt).map_error(util::context("listing routes")));
  if (genl != nullptr) {
    FOUCTL_TRY_ASSIGN(o.ports,
                      nl::fou_list(*genl, fou_family).map_error(util::context("listing FOU ports")));
  }
  return o;
}

} // namespace fouctl::backend
