#include "fouctl/backend/underlay.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <utility>

#include "fouctl/nl/link.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;

namespace {

// What the underlay says about the way to a peer: its MTU and where that came from, or 0
// and why it says nothing.
struct Path {
  std::uint32_t mtu = 0;
  std::string what; // "veth0's MTU 9000", or with mtu 0 the reason for the default
};

util::Result<Path> probe(nl::Socket &rt, const util::IpAddr &peer, const util::IpAddr &local) {
  if (peer.is_loopback())
    return Path{0, "a loopback peer says nothing about the real link"};
  auto route = nl::route_get(rt, peer, local);
  if (!route) {
    const int err = route.error().errnum;
    if (err == ENETUNREACH || err == EHOSTUNREACH || err == EINVAL)
      return Path{0, "no route to " + peer.to_string() + " yet"};
    auto e = route.error();
    e.message = "looking up the route to " + peer.to_string() + ": " + e.message;
    return tl::unexpected(e);
  }
  if (route->type == RTN_LOCAL)
    return Path{0, peer.to_string() + " is an address of this host"};
  if (route->mtu != 0)
    return Path{route->mtu,
                "the route to " + peer.to_string() + " (mtu " + std::to_string(route->mtu) + ")"};
  FOUCTL_TRY_ASSIGN(auto link, nl::link_get(rt, route->oif));
  if (link.mtu == 0 || (link.flags & IFF_LOOPBACK) != 0)
    return Path{0, "the route to " + peer.to_string() + " leaves through " + link.name};
  return Path{link.mtu, link.name + "'s MTU " + std::to_string(link.mtu)};
}

std::string overhead_text(const config::TunnelSpec &spec) {
  std::string s = std::string(spec.peer.family == 6 ? "IPv6 40" : "IPv4 20") + ", UDP 8";
  if (spec.encap == config::Encap::gue)
    s += ", GUE 4";
  return s;
}

bool carries_ipv6(const config::TunnelSpec &spec) {
  return std::any_of(spec.routes.begin(), spec.routes.end(),
                     [](const util::Prefix &p) { return p.addr.family == 6; });
}

util::Result<MtuChoice> choose(const Path &path, const config::TunnelSpec &spec) {
  const std::uint32_t overhead = config::outer_overhead(spec.peer, spec.encap);
  if (path.mtu == 0) {
    const auto mtu = config::default_mtu(spec.peer, spec.encap);
    return MtuChoice{mtu, false,
                     "the default " + std::to_string(mtu) + " (1500 less " + overhead_text(spec) +
                         "): " + path.what};
  }
  const std::uint32_t need = carries_ipv6(spec) ? 1280 : config::k_min_mtu;
  if (path.mtu < overhead + need) {
    auto e = fail(ErrorKind::usage, "the MTU from the underlay, " + path.what + " less " +
                                        std::to_string(overhead) + ", is below " +
                                        std::to_string(need) +
                                        (need == 1280 ? " (the IPv6 minimum)" : ""));
    e.value().hint = "give an MTU (the last argument of up, or \"mtu\" in the config)";
    return e;
  }
  return MtuChoice{std::min(path.mtu - overhead, config::k_max_mtu), true,
                   path.what + " less " + std::to_string(overhead) + " (" + overhead_text(spec) + ")"};
}

util::Result<MtuChoice> named(util::Result<MtuChoice> r, const config::TunnelSpec &spec) {
  if (!r)
    r.error().message = "tunnel '" + spec.name + "': " + r.error().message;
  return r;
}

} // namespace

util::Result<MtuChoice> underlay_mtu(nl::Socket &rt, const config::TunnelSpec &spec) {
  FOUCTL_TRY_ASSIGN(auto path, probe(rt, spec.peer, spec.local));
  return choose(path, spec);
}

util::Result<MtuChoice> resolve_mtu(nl::Socket &rt, config::TunnelSpec &spec) {
  if (!spec.mtu_auto)
    return MtuChoice{spec.mtu, false, "given"};
  FOUCTL_TRY_ASSIGN(auto choice, underlay_mtu(rt, spec));
  spec.mtu = choice.mtu;
  return choice;
}

util::Result<MtuChoice> resolve_mtu(config::TunnelSpec &spec) {
  if (!spec.mtu_auto)
    return MtuChoice{spec.mtu, false, "given"};
  FOUCTL_TRY_ASSIGN(auto rt, nl::Socket::open(NETLINK_ROUTE));
  return resolve_mtu(rt, spec);
}

util::Result<std::vector<MtuChoice>> resolve_mtus(nl::Socket &rt,
                                                  std::vector<config::TunnelSpec> &specs) {
  // One lookup per underlay path (peer and local); the headers and the IPv6 minimum
  // differ per tunnel.
  std::map<std::pair<util::IpAddr, util::IpAddr>, Path> paths;
  std::vector<MtuChoice> out;
  out.reserve(specs.size());
  for (auto &spec : specs) {
    if (!spec.mtu_auto) {
      out.push_back({spec.mtu, false, "given"});
      continue;
    }
    auto key = std::make_pair(spec.peer, spec.local);
    auto it = paths.find(key);
    if (it == paths.end()) {
      auto path = probe(rt, spec.peer, spec.local);
      if (!path) {
        auto e = path.error();
        e.message = "tunnel '" + spec.name + "': " + e.message;
        return tl::unexpected(e);
      }
      it = paths.emplace(key, *path).first;
    }
    FOUCTL_TRY_ASSIGN(auto c, named(choose(it->second, spec), spec));
    spec.mtu = c.mtu;
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace fouctl::backend
