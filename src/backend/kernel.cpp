#include "fouctl/backend/kernel.hpp"

#include <linux/if_tunnel.h>
#include <arpa/inet.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>

#include "fouctl/backend/l3.hpp"
#include "fouctl/backend/transaction.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/kmod/modules.hpp"
#include "fouctl/nl/ethtool.hpp"
#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/fou.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

util::Result<KernelBackend> KernelBackend::open() {
  FOUCTL_TRY_ASSIGN(auto rt, nl::Socket::open(NETLINK_ROUTE));
  return KernelBackend(std::move(rt));
}

Status KernelBackend::ensure_available(bool load_modules) {
  if (m_fou_family >= 0)
    return {};
  FOUCTL_TRY_ASSIGN(auto genl, nl::Socket::open(NETLINK_GENERIC));
  auto family = genl.genl_family("fou");
  if (!family && !load_modules)
    return tl::unexpected(family.error());
  if (!family) {
    // The fou module has no alias for on-demand loading: load it ourselves.
    FOUCTL_TRY(kmod::load_module("fou", "CONFIG_NET_FOU"));
    family = genl.genl_family("fou");
    if (!family)
      return fail(ErrorKind::missing, "the 'fou' module is loaded but its netlink family is not");
  }
  // ipip would auto-load on RTM_NEWLINK, but loading it here gives a clear message.
  FOUCTL_TRY(kmod::load_module("ipip", "CONFIG_NET_IPIP"));
  m_genl.emplace(std::move(genl));
  m_fou_family = *family;
  return {};
}

util::Result<Observed> KernelBackend::observe(bool counters) {
  return backend::observe(m_rt, m_genl ? &*m_genl : nullptr, m_fou_family, counters);
}

Status KernelBackend::fou_add(const nl::FouPort &port) {
  FOUCTL_TRY(ensure_available(false));
  return nl::fou_add(*m_genl, m_fou_family, port);
}

Status KernelBackend::fou_del(const nl::FouPort &port) {
  FOUCTL_TRY(ensure_available(false));
  return nl::fou_del(*m_genl, m_fou_family, port);
}

TunnelStatus KernelBackend::status_of(const nl::LinkInfo &link, const Observed &obs) const {
  TunnelStatus s;
  auto mark = parse_mark(link.alias);
  s.name = link.name;
  s.mode = mark ? mark->mode : "kernel";
  const kind::Kind *k = kind::of_link(link);
  s.kind = k ? k->name : link.kind;
  s.ifindex = link.ifindex;
  s.up = link.is_up();
  s.rx_port = mark ? mark->rx_port : 0;
  s.mtu = link.mtu;
  s.mtu_auto = mark && mark->mtu_auto;
  if (link.tunnel) {
    s.encap = link.tunnel->encap_type == TUNNEL_ENCAP_GUE ? "gue" : "fou";
    s.tx_port = link.tunnel->encap_dport;
    s.peer = link.tunnel->remote;
    s.local = link.tunnel->local;
  }
  auto port = obs.fou_port(s.rx_port, k ? k->underlay : 4);
  s.rx_port_open = port.has_value();
  s.peer_port_fixed = port && port->peer.is_set(); // --bind-peer: a bound FOU port
  s.routes = obs.routes_through(link.ifindex);
  for (const auto &r : obs.routes_of(link.ifindex))
    s.owned_routes.push_back(r.dst);
  s.addresses = obs.addrs_of(link.ifindex);
  s.counters = link.counters;
  if (auto on = nl::tx_checksum_offload(m_rt.fd(), link.name))
    s.offload = *on;
  return s;
}

std::vector<std::string> differences(const config::TunnelSpec &spec, const TunnelStatus &now) {
  std::vector<std::string> d;
  auto differ = [&](const std::string &what, const std::string &have, const std::string &want) {
    if (have != want)
      d.push_back(what + " is " + have + ", not " + want);
  };
  differ("mode", now.mode, spec.mode == config::Mode::userspace ? "userspace" : now.mode);
  differ("receive port", std::to_string(now.rx_port), std::to_string(spec.rx_port));
  differ("transmit port", std::to_string(now.tx_port), std::to_string(spec.tx_port));
  differ("peer", now.peer.to_string(), spec.peer.to_string());
  if (spec.local.is_set())
    differ("local", now.local.to_string(), spec.local.to_string());
  differ("MTU", std::to_string(now.mtu), std::to_string(spec.mtu));
  differ("encap", now.encap, config::to_string(spec.encap));
  if (now.peer_port_fixed != spec.peer_port_fixed)
    d.push_back(now.peer_port_fixed ? "its receive port is bound to the peer"
                                    : "its receive port is not bound to the peer");
  if (now.offload && spec.mode != config::Mode::userspace)
    differ("tx checksum offload", *now.offload ? "on" : "off",
           config::tx_checksum_offload(spec) ? "on" : "off");
  // Missing routes and addresses are simply added (an interrupted run is completed);
  // a route fouctl made that is not asked for means different settings. Addresses added
  // by hand (as the seed README does) are left alone.
  for (const auto &r : now.owned_routes)
    if (std::find(spec.routes.begin(), spec.routes.end(), r) == spec.routes.end())
      d.push_back("it routes " + r.to_string() + ", which is not asked for");
  return d;
}

Status refuse_differences(const config::TunnelSpec &spec, const std::vector<std::string> &diff) {
  if (diff.empty())
    return {};
  std::string all;
  for (const auto &d : diff)
    all += (all.empty() ? "" : ", ") + d;
  auto e = fail(ErrorKind::conflict, "tunnel '" + spec.name + "' is up with other settings: " + all);
  e.value().hint = "run 'fouctl down " + spec.name + "' first";
  return e;
}

// Without --local, a loopback tunnel gets the lowest 127.0.0.N whose (local, remote) pair no
// other ipip device uses: the kernel matches received packets to a tunnel by outer
// addresses only, so two loopback tunnels must differ there. The first tunnel gets
// 127.0.0.1, which is exactly the seed script's setup.
util::Result<util::IpAddr> KernelBackend::choose_local(const config::TunnelSpec &spec,
                                                       const Observed &obs,
                                                       const std::string &link_kind) const {
  auto taken = [&](const util::IpAddr &local) {
    for (const auto &l : obs.links)
      if (l.kind == link_kind && l.tunnel && l.tunnel->remote == spec.peer &&
          l.tunnel->local == local && l.tunnel->link == 0)
        return &l;
    return static_cast<const nl::LinkInfo *>(nullptr);
  };
  // IPv6 has one loopback address: no choice to make there.
  if (spec.local.is_set() || !spec.peer.is_loopback() || spec.peer.family == 6) {
    if (const auto *other = taken(spec.local)) {
      auto e = fail(ErrorKind::conflict,
                    "device '" + other->name + "' already tunnels " + spec.local.to_string() +
                        " -> " + spec.peer.to_string() +
                        " and the kernel tells tunnels apart by their outer addresses only");
      e.value().hint = "give this tunnel a different --local address";
      return e;
    }
    return spec.local;
  }
  for (int n = 1; n < 255; ++n) {
    auto candidate = util::IpAddr::from_v4_be(htonl(0x7f000000u | static_cast<unsigned>(n)));
    if (!taken(candidate))
      return candidate;
  }
  return fail(ErrorKind::conflict, "every local address 127.0.0.1-254 towards " +
                                       spec.peer.to_string() + " is in use; give --local");
}

static std::string mark_command(const std::string &name, const std::string &mark) {
  return "ip link set dev " + name + " alias \"" + mark + "\" up";
}

namespace {

// Adds a tunnel that up() just created to the observation it was given, as a new dump
// would show it: device (marked, up), FOU port, routes and addresses.
void note_created(Observed &obs, nl::LinkInfo link, const config::TunnelSpec &spec) {
  link.alias = format_mark({"kernel", spec.rx_port, spec.tx_port, spec.mtu_auto});
  link.flags |= IFF_UP;
  nl::FouPort port;
  port.port = spec.rx_port;
  obs.ports.push_back(port);
  for (const auto &r : spec.routes) {
    nl::RouteInfo info;
    info.dst = r;
    info.oif = link.ifindex;
    obs.routes.push_back(info);
  }
  for (const auto &a : spec.addresses)
    obs.addrs.push_back(nl::AddrInfo{link.ifindex, a});
  obs.links.push_back(std::move(link));
}

} // namespace

util::Result<bool> KernelBackend::up(const config::TunnelSpec &spec, Reporter &reporter,
                                     Observed *given) {
  FOUCTL_TRY_ASSIGN(const kind::Kind *k, kind::for_spec(spec));
  FOUCTL_TRY(ensure_available());
  // ensure_available loaded fou and ipip; other kinds need their own modules.
  for (auto [module, option] : {std::pair{k->module, k->config_option},
                                std::pair{k->fou_module, k->fou_option}})
    if (std::string(module) != "ipip" && std::string(module) != "fou")
      FOUCTL_TRY(kmod::load_module(module, option));
  Observed observed;
  if (!given) {
    FOUCTL_TRY_ASSIGN(observed, observe(false));
  }
  const Observed &obs = given ? *given : observed;

  const nl::LinkInfo *existing = obs.link_by_name(spec.name);
  if (existing && !parse_mark(existing->alias)) {
    auto e = fail(ErrorKind::conflict, "device '" + spec.name + "' exists and was not made by fouctl" +
                                           (existing->kind.empty() ? "" : " (" + existing->kind + ")"));
    e.value().hint = "choose another name with --name";
    return e;
  }
  if (const auto *holder = obs.owned_by_port(spec.rx_port); holder && holder != existing)
    return fail(ErrorKind::conflict, "receive port " + std::to_string(spec.rx_port) +
                                         " belongs to fouctl tunnel '" + holder->name + "'");
  if (existing) {
    auto now = status_of(*existing, obs);
    auto diff = differences(spec, now);
    if (now.mode != "kernel")
      diff.insert(diff.begin(), "it is a " + now.mode + " tunnel");
    else if (kind::of_link(*existing) != k)
      diff.insert(diff.begin(), "it is " + now.kind + ", not " + k->name);
    FOUCTL_TRY(refuse_differences(spec, diff));
  }
  if (!existing && obs.fou_port(spec.rx_port, k->underlay)) {
    auto e = fail(ErrorKind::conflict, "FOU port " + std::to_string(spec.rx_port) +
                                           " is already open and fouctl did not open it");
    e.value().hint = "see 'ip fou show'";
    return e;
  }
  FOUCTL_TRY(check_routes_free(spec, obs, existing ? existing->ifindex : 0));

  util::IpAddr local;
  if (existing) {
    local = existing->tunnel ? existing->tunnel->local : util::IpAddr{};
  } else {
    FOUCTL_TRY_ASSIGN(local, choose_local(spec, obs, k->link_kind));
  }

  Transaction tx(reporter);
  bool changed = false;
  int ifindex = existing ? existing->ifindex : 0;
  nl::LinkInfo created;
  auto step = [&](Status s) -> Status {
    if (!s)
      return tl::unexpected(tx.fail_and_rollback(s.error()));
    changed = true;
    return {};
  };

  if (!existing) {
    nl::IpipLinkSpec link = kind::link_spec(*k, spec, local);
    FOUCTL_TRY(step(tx.run(
        kind::ip_link_add(*k, spec, local),
        [&]() -> Status {
          auto made = nl::ipip_create(m_rt, link);
          if (!made) {
            auto e = made.error();
            if (e.errnum == EINVAL && e.ext_ack.empty())
              e.hint = "the kernel may lack FOU encapsulation for ip tunnels "
                       "(CONFIG_NET_FOU_IP_TUNNELS)";
            return tl::unexpected(e);
          }
          created = std::move(*made);
          ifindex = created.ifindex;
          return {};
        },
        "ip link del dev " + spec.name, [&]() { return nl::link_del(m_rt, ifindex); })));
  }
  if (!existing && !config::tx_checksum_offload(spec)) {
    // A program on this host reads the FOU payload (config::tx_checksum_offload).
    FOUCTL_TRY(step(tx.run("ethtool -K " + spec.name + " tx off",
                           [&]() { return nl::set_tx_checksum_offload(m_rt.fd(), spec.name, false); }, {}, {})));
  }
  if (!existing || !existing->is_up()) {
    auto mark = format_mark({"kernel", spec.rx_port, spec.tx_port, spec.mtu_auto});
    FOUCTL_TRY(step(tx.run(mark_command(spec.name, mark),
                           [&]() { return nl::link_set(m_rt, ifindex, std::nullopt, mark, true); },
                           {}, {})));
  }
  if (!obs.fou_port(spec.rx_port, k->underlay)) {
    nl::FouPort port = kind::fou_port(*k, spec);
    FOUCTL_TRY(step(tx.run(
        port.ip_command("add"),
        [&]() -> Status {
          auto r = nl::fou_add(*m_genl, m_fou_family, port);
          if (!r && r.error().errnum == EADDRINUSE)
            r.error().hint = "another program has UDP port " + std::to_string(port.port) +
                             " open (see 'ss -ulpn')";
          return r;
        },
        port.ip_command("del"), [&, port]() { return nl::fou_del(*m_genl, m_fou_family, port); })));
  }
  if (auto r = add_addresses_and_routes(m_rt, tx, obs, ifindex, spec, changed); !r)
    return tl::unexpected(tx.fail_and_rollback(r.error()));
  tx.commit();
  if (given && !existing)
    note_created(*given, std::move(created), spec);
  return changed;
}

Status KernelBackend::down(const nl::LinkInfo &link, const Observed &obs, Reporter &reporter) {
  auto mark = parse_mark(link.alias);
  Status first_error;
  auto keep = [&](Status s) {
    if (!s && first_error)
      first_error = s;
  };
  keep(remove_routes(m_rt, obs, link.ifindex, link.name, reporter));
  if (mark) {
    const kind::Kind *k = kind::of_link(link);
    if (auto port = obs.fou_port(mark->rx_port, k ? k->underlay : 4)) {
      reporter.action(port->ip_command("del"));
      keep(nl::fou_del(*m_genl, m_fou_family, *port)
               .map_error(util::context("closing FOU port " + std::to_string(port->port))));
    }
  }
  reporter.action("ip link del dev " + link.name);
  auto s = nl::link_del(m_rt, link.ifindex);
  if (!s && s.error().errnum != ENODEV)
    keep(s.map_error(util::context("deleting link '" + link.name + "'")));
  return first_error;
}

} // namespace fouctl::backend
