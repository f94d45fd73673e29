// The kind table and what is common to every row.
#include <linux/fou.h>
#include <linux/if_tunnel.h>

#include <algorithm>
#include <array>

#include "table.hpp"

namespace fouctl::kind {

using util::ErrorKind;
using util::fail;

namespace {

// One entry per kind. The order matters only for of_link's lookups; each kind's families
// are distinct.
const std::array<const Kind *, 4> k_table = {&k_ipip, &k_sit, &k_ipip6, &k_ip6ip6};

const char *family_name(int f) { return f == 6 ? "IPv6" : "IPv4"; }

// The inner family of `spec`: 4 or 6 when all REMOTEs agree, 0 when they are mixed.
int inner_family(const config::TunnelSpec &spec) {
  int f = 0;
  for (const auto &r : spec.routes) {
    if (f != 0 && r.addr.family != f)
      return 0;
    f = r.addr.family;
  }
  return f == 0 ? 4 : f;
}

} // namespace

std::span<const Kind *const> all() { return k_table; }

util::Result<const Kind *> for_spec(const config::TunnelSpec &spec) {
  const int inner = inner_family(spec);
  if (inner == 0) {
    auto e = fail(ErrorKind::usage,
                  "REMOTEs of both families: a kernel tunnel device and its FOU port carry one "
                  "(ipip IPv4, sit IPv6)");
    e.value().hint = "make one tunnel per family (two receive ports), or use --mode userspace: "
                     "the relay carries both over one port";
    return e;
  }
  for (const Kind *k : k_table)
    if (k->underlay == spec.peer.family && k->inner == inner)
      return k;
  return fail(ErrorKind::usage, std::string("no kernel tunnel carries ") + family_name(inner) +
                                    " over " + family_name(spec.peer.family));
}

bool kernel_can_carry(const config::TunnelSpec &spec, std::string *why) {
  auto k = for_spec(spec);
  if (!k && why != nullptr)
    *why = k.error().message;
  return k.has_value();
}

const Kind *of_link(const nl::LinkInfo &link) {
  auto it = std::find_if(k_table.begin(), k_table.end(), [&](const Kind *k) {
    return link.kind == k->link_kind && (!link.tunnel || link.tunnel->proto == k->ipproto);
  });
  return it == k_table.end() ? nullptr : *it;
}

nl::IpipLinkSpec link_spec(const Kind &k, const config::TunnelSpec &spec, const util::IpAddr &local) {
  nl::IpipLinkSpec link;
  link.kind = k.link_kind;
  link.name = spec.name;
  link.mtu = spec.mtu;
  link.tunnel.local = local;
  link.tunnel.remote = spec.peer;
  link.tunnel.proto = k.ipproto;
  link.tunnel.encap_type = spec.encap == config::Encap::gue ? TUNNEL_ENCAP_GUE : TUNNEL_ENCAP_FOU;
  link.tunnel.encap_dport = spec.tx_port;
  if (k.underlay == 6)
    link.tunnel.ip6_flags = 0x1; // IP6_TNL_F_IGN_ENCAP_LIMIT: encaplimit none
  if (spec.peer_port_fixed)
    link.tunnel.encap_sport = spec.rx_port; // what the peer's bound port expects
  return link;
}

nl::FouPort fou_port(const Kind &k, std::uint16_t port, config::Encap encap) {
  nl::FouPort p;
  p.port = port;
  p.family = k.underlay;
  // A GUE port reads the protocol from each packet's header: it has none of its own.
  p.type = encap == config::Encap::gue ? FOU_ENCAP_GUE : FOU_ENCAP_DIRECT;
  p.ipproto = encap == config::Encap::gue ? 0 : k.ipproto;
  return p;
}

nl::FouPort fou_port(const Kind &k, const config::TunnelSpec &spec) {
  nl::FouPort p = fou_port(k, spec.rx_port, spec.encap);
  if (spec.peer_port_fixed) {
    p.local = spec.local;
    p.peer = spec.peer;
    p.peer_port = spec.tx_port;
  }
  return p;
}

namespace {

std::string outer_text(const Kind &k, const config::TunnelSpec &spec, const util::IpAddr &local) {
  return std::string(" type ") + k.ip_type + (local.is_set() ? " local " + local.to_string() : "") +
         " remote " + spec.peer.to_string() +
         (k.underlay == 6 ? " hoplimit 64 encaplimit none" : " ttl 64") + " encap " + config::to_string(spec.encap) + " encap-sport " +
         (spec.peer_port_fixed ? std::to_string(spec.rx_port) : std::string("auto")) +
         " encap-dport " + std::to_string(spec.tx_port);
}

} // namespace

std::string ip_link_add(const Kind &k, const config::TunnelSpec &spec, const util::IpAddr &local) {
  return "ip link add name " + spec.name + " mtu " + std::to_string(spec.mtu) +
         outer_text(k, spec, local);
}

std::string ip_link_add(const Kind &k, const config::TunnelSpec &spec) {
  return ip_link_add(k, spec, spec.local);
}

std::string ip_link_change(const Kind &k, const config::TunnelSpec &spec) {
  return "ip link change dev " + spec.name + outer_text(k, spec, spec.local);
}

} // namespace fouctl::kind
