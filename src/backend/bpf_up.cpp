// BpfBackend::up: checks first (nothing changes on a refusal), then one Transaction step per
// object, each undone if a later one fails.
#include <linux/if_arp.h>

#include <algorithm>
#include <cerrno>

#include "bpf_view.hpp"
#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/observed.hpp"
#include "fouctl/backend/transaction.hpp"
#include "fouctl/bpf/tc.hpp"
#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/tc.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

namespace {

Status check_spec(const config::TunnelSpec &spec) {
  if (!spec.tun_device.empty() || spec.framing != config::Framing::raw)
    return fail(ErrorKind::usage, "--framing and --tun-device are relay options, not --mode bpf");
  if (spec.offload != config::Offload::automatic)
    return fail(ErrorKind::usage, "--offload is a setting of kernel tunnels, not --mode bpf");
  if (spec.addresses.size() > FOUCTL_BPF_MAX_ADDRS)
    return fail(ErrorKind::usage, "--mode bpf takes at most " +
                                      std::to_string(FOUCTL_BPF_MAX_ADDRS) + " --address");
  return {};
}

// A tunnel of another backend with this name or receive port.
Status refuse_other_backends(const config::TunnelSpec &spec, const Observed &obs) {
  if (const auto *l = obs.link_by_name(spec.name))
    if (auto m = parse_mark(l->alias))
      return fail(ErrorKind::conflict,
                  "tunnel '" + spec.name + "' is up as a " + m->mode + " tunnel");
  if (const auto *l = obs.owned_by_port(spec.rx_port))
    return fail(ErrorKind::conflict, "receive port " + std::to_string(spec.rx_port) +
                                         " belongs to fouctl tunnel '" + l->name + "'");
  return {};
}

// Other bpf tunnels holding this receive port or a REMOTE, and routes to a REMOTE that are
// not this tunnel's.
Status refuse_conflicts(const config::TunnelSpec &spec, const BpfView &v, const Observed &obs,
                        std::optional<std::uint32_t> own_id, int ifindex) {
  for (const auto &[id, t] : v.tunnels)
    if (id != own_id && be16toh(t.rx_port) == spec.rx_port)
      return fail(ErrorKind::conflict, "receive port " + std::to_string(spec.rx_port) +
                                           " belongs to fouctl bpf tunnel '" + bpf::name_of(t) +
                                           "'");
  auto name_of_id = [&](std::uint32_t id) {
    for (const auto &[tid, t] : v.tunnels)
      if (tid == id)
        return bpf::name_of(t);
    return std::string("#") + std::to_string(id);
  };
  for (const auto &r : spec.routes) {
    for (const auto &[p, id] : v.lpm)
      if (id != own_id && p.overlaps(r))
        return fail(ErrorKind::conflict, "REMOTE " + r.to_string() + " overlaps " + p.to_string() +
                                             " of fouctl bpf tunnel '" + name_of_id(id) + "'");
    for (const auto &have : obs.routes) {
      if (have.table != 254 || have.dst != r)
        continue;
      if (own_id && have.oif == ifindex && have.protocol == nl::k_rtprot_fouctl && v.route(r, ifindex))
        continue; // this tunnel's own route
      const auto *dev = obs.link_by_index(have.oif);
      return fail(ErrorKind::conflict, "a route to " + r.to_string() + " already exists" +
                                           (dev ? " via '" + dev->name + "'" : ""));
    }
  }
  return {};
}

std::string route_command(const nl::LwtRoute &r, const std::string &dev,
                          const std::optional<std::string> &pins) {
  std::string prog = pins ? "pinned " + *pins + "/" + bpf::k_encap_prog
                          : std::string("name ") + bpf::k_encap_prog;
  return "ip route add " + r.dst.to_string() + " encap bpf xmit " + prog + " headroom " +
         std::to_string(r.headroom) + " dev " + dev +
         (r.prefsrc.is_set() ? " src " + r.prefsrc.to_string() : "") + " proto " +
         std::to_string(nl::k_rtprot_fouctl) + " scope link mtu lock " + std::to_string(r.mtu);
}

std::string entry_text(std::uint32_t id, const fouctl_tunnel &t, const std::string &dev) {
  return "bpf fou_tunnels[" + std::to_string(id) + "] = " + bpf::name_of(t) + " rx " +
         std::to_string(be16toh(t.rx_port)) + " tx " + std::to_string(be16toh(t.tx_port)) +
         " local " + bpf::local_of(t).to_string() + " peer " + bpf::peer_of(t).to_string() +
         " encap " + (t.encap == FOUCTL_BPF_ENCAP_GUE ? "gue" : "fou") +
         (t.bind_peer ? " bind-peer" : "") + " dev " + dev + " mtu " + std::to_string(t.mtu);
}

} // namespace

Result<bool> BpfBackend::up(const config::TunnelSpec &spec, Reporter &reporter) {
  FOUCTL_TRY(check_spec(spec));
  if (auto miss = missing(); !miss.empty()) {
    std::string all;
    for (const auto &m : miss)
      all += (all.empty() ? "" : ", ") + m;
    auto e = fail(ErrorKind::missing, "the bpf backend needs " + all);
    e.value().hint = "use --mode userspace";
    return e;
  }
  FOUCTL_TRY_ASSIGN(auto obs, observe(m_rt, nullptr, -1, false));
  FOUCTL_TRY(refuse_other_backends(spec, obs));
  FOUCTL_TRY_ASSIGN(auto v, read_view(m_rt, true));

  // The underlay: the device of the route to the peer, and the source it gives.
  FOUCTL_TRY_ASSIGN(auto path, nl::route_get(m_rt, spec.peer, spec.local)
                                   .map_error(util::context("looking up the route to peer " +
                                                            spec.peer.to_string())));
  const util::IpAddr local = spec.local.is_set() ? spec.local : path.prefsrc;
  const nl::LinkInfo *ul = v.link(path.oif);
  if (!ul || !local.is_set())
    return fail(ErrorKind::conflict, "no route to peer " + spec.peer.to_string() +
                                         " with a source address");
  if (ul->type != ARPHRD_ETHER && ul->type != ARPHRD_LOOPBACK)
    return fail(ErrorKind::conflict, "the route to peer " + spec.peer.to_string() + " leaves by '" +
                                         ul->name + "', which is not an Ethernet device; "
                                         "--mode bpf receives on Ethernet devices and lo only");
  const int ifindex = ul->ifindex;
  const std::string dev = ul->name;
  FOUCTL_TRY_ASSIGN(auto entry, bpf::make_entry(spec, local, ifindex));

  const auto *existing = v.by_name(spec.name);
  std::optional<std::uint32_t> own_id;
  if (existing) {
    own_id = existing->first;
    auto now = status_of(v, existing->first, existing->second);
    auto diff = differences(spec, now);
    if (existing->second.ifindex != entry.ifindex)
      diff.push_back("its underlay is '" + now.underlay + "', not '" + dev + "'");
    if (!bpf::same_tunnel(existing->second, entry) && diff.empty())
      diff.push_back("its addresses or local address differ");
    FOUCTL_TRY(refuse_differences(spec, diff));
    entry.clsact_ours = existing->second.clsact_ours;
  }
  FOUCTL_TRY(refuse_conflicts(spec, v, obs, own_id, ifindex));

  FOUCTL_TRY_ASSIGN(auto qdiscs, nl::qdisc_list(m_rt));
  const bool have_clsact = std::any_of(qdiscs.begin(), qdiscs.end(), [&](auto &q) {
    return q.ifindex == ifindex && q.kind == "clsact";
  });
  if (!existing)
    entry.clsact_ours = !have_clsact || std::any_of(v.tunnels.begin(), v.tunnels.end(), [&](auto &t) {
                          return t.second.ifindex == entry.ifindex && t.second.clsact_ours;
                        });

  std::optional<bpf::Datapath> dp = std::move(v.dp);
  Transaction tx(reporter);
  bool changed = false;
  auto step = [&](Status s) -> Status {
    if (!s)
      return tl::unexpected(tx.fail_and_rollback(s.error()));
    changed = true;
    return {};
  };
  if (!dp || !dp->complete()) {
    // Nothing to undo: objects nothing attached or pinned die with their descriptors.
    auto load = [&]() -> Status {
      FOUCTL_TRY_ASSIGN(auto d, bpf::Datapath::load(dp ? &*dp : nullptr));
      dp = std::move(d);
      return {};
    };
    FOUCTL_TRY(step(tx.run(
        "load the BPF datapath (fou_encap, fou_decap and their maps, embedded in fouctl)", load,
        {}, {})));
  }
  const bpf::Tables tables(*dp);
  std::uint32_t id = 0;
  if (existing) {
    id = existing->first;
  } else {
    FOUCTL_TRY_ASSIGN(id, tables.free_id());
    auto put = [&]() -> Status {
      FOUCTL_TRY(tables.reset_stats(id));
      return tables.put_tunnel(id, entry);
    };
    FOUCTL_TRY(step(tx.run(
        entry_text(id, entry, dev), put,
        "bpf fou_tunnels[" + std::to_string(id) + "] delete",
        [&tables, id]() { return tables.clear_tunnel(id); })));
  }
  const auto key = bpf::rx_key_of(entry);
  const std::string rx_text =
      "bpf fou_rx[" + local.to_string() + ":" + std::to_string(spec.rx_port) + "]";
  if (tables.rx(key) != id)
    FOUCTL_TRY(step(tx.run(rx_text + " = " + std::to_string(id),
                           [&]() { return tables.put_rx(key, id); }, rx_text + " delete",
                           [&tables, key]() { return tables.del_rx(key); })));
  if (!have_clsact)
    FOUCTL_TRY(step(tx.run("tc qdisc add dev " + dev + " clsact",
                           [&]() { return bpf::add_clsact(ifindex).map([](bool) {}); },
                           "tc qdisc del dev " + dev + " clsact",
                           [ifindex]() { return bpf::del_clsact(ifindex); })));
  const auto filter = bpf::decap_filter(ifindex);
  if (filter != bpf::Datapath::prog_id(dp->decap_fd())) {
    const bool replace = filter.has_value();
    FOUCTL_TRY(step(tx.run(
        bpf::tc_filter_command(replace ? "replace" : "add", dev),
        [&]() { return bpf::attach_decap(ifindex, dp->decap_fd()); },
        replace ? "" : bpf::tc_filter_command("del", dev),
        replace ? std::function<Status()>() : [ifindex]() { return bpf::detach_decap(ifindex); })));
  }
  const int lo = v.lo();
  for (const auto &a : spec.addresses) {
    const bool there = std::any_of(v.addrs.begin(), v.addrs.end(), [&](auto &h) {
      return h.ifindex == lo && h.prefix.addr == a.addr;
    });
    if (there)
      continue; // ours from an earlier run, or the user's: either way it is there
    // nodad for IPv6: lo does no DAD, but without the flag the kernel still marks the
    // address tentative until its DAD work runs, and a route with it as `src` added in
    // that moment fails with "Invalid source address".
    const bool v6 = a.addr.family == 6;
    nl::HostAddr h{lo, host_prefix(a), nl::k_rtprot_fouctl,
                   IFA_F_NOPREFIXROUTE | (v6 ? IFA_F_NODAD : 0u)};
    FOUCTL_TRY(step(tx.run("ip addr add " + h.prefix.to_string() + " dev lo noprefixroute" +
                               (v6 ? " nodad" : "") + " proto " +
                               std::to_string(nl::k_rtprot_fouctl),
                           [&]() { return nl::host_addr_add(m_rt, h); },
                           "ip addr del " + h.prefix.to_string() + " dev lo",
                           [this, h]() { return nl::addr_del(m_rt, nl::AddrInfo{h.ifindex, h.prefix}); })));
  }
  const auto have_lpm = v.prefixes_of(id);
  for (const auto &r : spec.routes) {
    const std::string map_text =
        std::string("bpf fou_route") + (r.addr.family == 4 ? "4" : "6") + "[" + r.to_string() + "]";
    if (std::find(have_lpm.begin(), have_lpm.end(), r) == have_lpm.end())
      FOUCTL_TRY(step(tx.run(map_text + " = " + std::to_string(id),
                             [&]() { return tables.put_route(r, id); }, map_text + " delete",
                             [&tables, r]() { return tables.del_route(r); })));
    if (v.route(r, ifindex))
      continue;
    nl::LwtRoute lr;
    lr.dst = r;
    lr.oif = ifindex;
    for (const auto &a : spec.addresses)
      if (a.addr.family == r.addr.family) {
        lr.prefsrc = a.addr; // the first address of the family is the source
        break;
      }
    lr.prog_fd = dp->encap_fd();
    lr.prog_name = bpf::k_encap_prog;
    lr.headroom = bpf::headroom(spec.peer, spec.encap);
    // The kernel takes the headroom off the route's MTU (nl/lwt.hpp): give the tunnel
    // MTU plus what fou_encap adds, so that packets routed here are at most the tunnel MTU.
    lr.mtu = spec.mtu + lr.headroom;
    FOUCTL_TRY(step(tx.run(route_command(lr, dev, v.pins),
                           [&]() { return nl::lwt_route_add(m_rt, lr); },
                           "ip route del " + r.to_string() + " dev " + dev + " proto " +
                               std::to_string(nl::k_rtprot_fouctl),
                           [this, lr]() { return nl::lwt_route_del(m_rt, lr); })));
  }
  tx.commit();
  if (v.pins)
    if (auto s = dp->pin(*v.pins); !s)
      reporter.note("the datapath works but could not be pinned: " + s.error().describe());
  return changed;
}

} // namespace fouctl::backend
