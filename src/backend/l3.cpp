#include "fouctl/backend/l3.hpp"

#include <algorithm>
#include <cerrno>

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Status;

// Whether a main-table route to `dst` through `ifindex` exists right now.
static bool has_route_via(nl::Socket &rt, const util::Prefix &dst, int ifindex) {
  auto routes = nl::route_list(rt);
  return routes && std::any_of(routes->begin(), routes->end(), [&](auto &h) {
           return h.dst == dst && h.oif == ifindex && h.table == 254;
         });
}

Status check_routes_free(const config::TunnelSpec &spec, const Observed &obs, int own_ifindex) {
  for (const auto &r : spec.routes)
    for (const auto &have : obs.routes) {
      // A route through the tunnel's own device is fine whoever made it (a user's
      // connected route on a --tun-device); through anything else it is a conflict.
      if (have.table != 254 || (own_ifindex != 0 && have.oif == own_ifindex))
        continue;
      const auto *dev = obs.link_by_index(have.oif);
      if (have.dst == r)
        return fail(ErrorKind::conflict, "a route to " + r.to_string() + " already exists" +
                                             (dev ? " via '" + dev->name + "'" : ""));
      // Another fouctl tunnel's route that overlaps: the same rule `check` applies
      // between the tunnels of a config file (one would take part of the other's traffic).
      if (have.protocol == nl::k_rtprot_fouctl && have.dst.overlaps(r) && dev &&
          dev->name != spec.name)
        return fail(ErrorKind::conflict, "REMOTE " + r.to_string() + " overlaps route " +
                                             have.dst.to_string() + " of fouctl tunnel '" +
                                             dev->name + "'");
    }
  return {};
}

Status add_addresses_and_routes(nl::Socket &rt, Transaction &tx, const Observed &obs, int ifindex,
                                const config::TunnelSpec &spec, bool &changed) {
  auto have_addrs = obs.addrs_of(ifindex);
  bool added_address = false;
  for (const auto &a : spec.addresses) {
    if (std::find(have_addrs.begin(), have_addrs.end(), a) != have_addrs.end())
      continue;
    nl::AddrInfo info{ifindex, a};
    FOUCTL_TRY(tx.run("ip addr add " + a.to_string() + " dev " + spec.name,
                      [&]() { return nl::addr_add(rt, info); },
                      "ip addr del " + a.to_string() + " dev " + spec.name,
                      [&rt, info]() { return nl::addr_del(rt, info); }));
    changed = added_address = true;
  }
  // Addresses added just now bring their connected routes, which may already cover a
  // REMOTE: look again before adding routes.
  std::vector<nl::RouteInfo> now = obs.routes;
  if (added_address) {
    FOUCTL_TRY_ASSIGN(now, nl::route_list(rt));
  }
  for (const auto &r : spec.routes) {
    if (std::any_of(now.begin(), now.end(),
                    [&](auto &h) { return h.dst == r && h.oif == ifindex && h.table == 254; }))
      continue;
    nl::RouteInfo info;
    info.dst = r;
    info.oif = ifindex;
    FOUCTL_TRY(tx.run("ip route add " + r.to_string() + " dev " + spec.name + " proto " +
                          std::to_string(nl::k_rtprot_fouctl) + " scope link",
                      [&]() -> Status {
                        auto added = nl::route_add(rt, info);
                        // An address added just now may have brought the same prefix as
                        // its connected route: that route already does the job.
                        if (!added && added.error().errnum == EEXIST && has_route_via(rt, r, ifindex))
                          return {};
                        return added;
                      },
                      "ip route del " + r.to_string() + " dev " + spec.name,
                      [&rt, info]() { return nl::route_del(rt, info); }));
    changed = true;
  }
  return {};
}

Status remove_routes(nl::Socket &rt, const Observed &obs, int ifindex, const std::string &name,
                     Reporter &reporter) {
  Status first;
  for (const auto &r : obs.routes_of(ifindex)) {
    reporter.action("ip route del " + r.dst.to_string() + " dev " + name);
    auto s = nl::route_del(rt, r);
    if (!s && s.error().errnum != ESRCH && first) // ESRCH: gone already
      first = s.map_error(util::context("removing route " + r.dst.to_string()));
  }
  return first;
}

} // namespace fouctl::backend
