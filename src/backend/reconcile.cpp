#include "fouctl/backend/reconcile.hpp"

#include "fouctl/nl/ethtool.hpp"

#include <algorithm>
#include <cerrno>

#include "fouctl/backend/choose.hpp"
#include "fouctl/backend/ownership.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/backend/systemd.hpp"
#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/ethtool.hpp"
#include "fouctl/nl/fou.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::backend {

using plan::ActionKind;
using util::ErrorKind;
using util::fail;
using util::Status;

namespace {

std::vector<util::Prefix> without_link_local(std::vector<util::Prefix> v) {
  std::erase_if(v, [](const util::Prefix &p) { return p.addr.is_link_local(); });
  return v;
}

plan::TunnelState to_state(const TunnelStatus &s, config::Mode mode) {
  plan::TunnelState t;
  auto &spec = t.spec;
  spec.name = s.name;
  spec.mode = mode;
  spec.rx_port = s.rx_port;
  spec.tx_port = s.tx_port;
  spec.peer = s.peer;
  spec.local = s.local;
  spec.mtu = s.mtu;
  spec.mtu_auto = s.mtu_auto;
  spec.encap = s.encap == "gue" ? config::Encap::gue : config::Encap::fou;
  spec.routes = s.owned_routes;
  spec.addresses = without_link_local(s.addresses);
  t.down = !s.up;
  t.kind = s.kind;
  spec.peer_port_fixed = s.peer_port_fixed;
  // Unreadable (no such ioctl): `automatic` never equals a resolved wish, so apply sets it.
  if (mode == config::Mode::kernel && s.offload)
    spec.offload = *s.offload ? config::Offload::on : config::Offload::off;
  if (mode == config::Mode::userspace) {
    spec.framing = s.framing == "tun-pi" ? config::Framing::tun_pi : config::Framing::raw;
    spec.tun_device = s.tun_device;
    spec.peer_port_fixed = s.peer_port_fixed;
    if (!spec.tun_device.empty()) {
      spec.addresses.clear(); // the user's device: its addresses are not fouctl's
      spec.mtu = s.relay_mtu; // nor its MTU
    } else if (s.relay_mtu != s.mtu) {
      t.relay_mtu = s.relay_mtu;
    }
  }
  for (const auto &r : s.routes)
    if (std::find(s.owned_routes.begin(), s.owned_routes.end(), r) == s.owned_routes.end())
      t.foreign_routes.push_back(r);
  return t;
}

// Keeps the cached observation current after a step, so that later steps (the kernel's
// loopback address choice, conflict checks) see what this run made.
Status refresh(Live &live, Observed &obs) {
  FOUCTL_TRY_ASSIGN(obs, live.kernel.observe(false));
  return {};
}

Status run_one(Live &live, Observed &obs, const plan::Action &a, Reporter &reporter) {
  const auto &spec = a.spec;
  const nl::LinkInfo *link = obs.link_by_name(a.tunnel);
  auto need_link = [&]() -> util::Result<int> {
    if (!link)
      return fail(ErrorKind::not_found, "tunnel device '" + a.tunnel + "' is missing");
    return link->ifindex;
  };
  auto &rt = live.kernel.rtnl();
  switch (a.kind) {
  case ActionKind::create: {
    if (spec.mode == config::Mode::kernel) {
      return live.kernel.up(spec, reporter, &obs).map([](bool) {});
    } else if (spec.mode == config::Mode::bpf) {
      if (live.bpf == nullptr)
        return fail(ErrorKind::missing, "the BPF datapath is not usable here");
      FOUCTL_TRY(live.bpf->up(spec, reporter));
    } else if (live.relay_units) {
      reporter.action("systemctl start fouctl-relay@" + spec.name + ".service");
      FOUCTL_TRY(start_relay_unit(spec));
    } else {
      bool changed = false;
      FOUCTL_TRY(live.relay.up(spec, {}, reporter, changed));
    }
    return refresh(live, obs);
  }
  case ActionKind::remove: {
    if (spec.mode == config::Mode::userspace) {
      FOUCTL_TRY(live.relay.down(a.tunnel, reporter));
    } else if (spec.mode == config::Mode::bpf) {
      if (live.bpf == nullptr)
        return fail(ErrorKind::missing, "the BPF datapath is not usable here");
      FOUCTL_TRY(live.bpf->down(a.tunnel, 0, reporter));
    } else if (link) {
      FOUCTL_TRY(live.kernel.down(*link, obs, reporter));
    }
    return refresh(live, obs);
  }
  case ActionKind::add_route:
  case ActionKind::del_route: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    nl::RouteInfo r;
    r.dst = a.prefix;
    r.oif = ifindex;
    reporter.action(plan::describe(a));
    FOUCTL_TRY(a.kind == ActionKind::add_route ? nl::route_add(rt, r) : nl::route_del(rt, r));
    return refresh(live, obs);
  }
  case ActionKind::add_address:
  case ActionKind::del_address: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    nl::AddrInfo info{ifindex, a.prefix};
    reporter.action(plan::describe(a));
    FOUCTL_TRY(a.kind == ActionKind::add_address ? nl::addr_add(rt, info) : nl::addr_del(rt, info));
    return refresh(live, obs);
  }
  case ActionKind::set_mtu: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    reporter.action(plan::describe(a));
    // The mark says whether the MTU follows the underlay: written with it, in one message.
    std::optional<std::string> mark;
    if (spec.mode == config::Mode::kernel)
      mark = format_mark({"kernel", spec.rx_port, spec.tx_port, spec.mtu_auto});
    FOUCTL_TRY(nl::link_set(rt, ifindex, spec.mtu, mark, std::nullopt));
    return refresh(live, obs);
  }
  case ActionKind::change_encap: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    if (!link->tunnel)
      return fail(ErrorKind::system, "'" + a.tunnel + "' is not a tunnel device");
    nl::IptunParams t = *link->tunnel;
    t.remote = spec.peer;
    t.encap_dport = spec.tx_port;
    if (spec.local.is_set() || !spec.peer.is_loopback())
      t.local = spec.local;
    reporter.action(plan::describe(a));
    FOUCTL_TRY(nl::ipip_change(rt, ifindex, t, link->kind));
    auto mark = format_mark({"kernel", spec.rx_port, spec.tx_port, spec.mtu_auto});
    FOUCTL_TRY(nl::link_set(rt, ifindex, std::nullopt, mark, std::nullopt));
    return refresh(live, obs);
  }
  case ActionKind::link_up:
  case ActionKind::link_down: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    reporter.action(plan::describe(a));
    FOUCTL_TRY(nl::link_set(rt, ifindex, std::nullopt, std::nullopt, a.kind == ActionKind::link_up));
    return refresh(live, obs);
  }
  case ActionKind::set_offload: {
    FOUCTL_TRY(need_link());
    reporter.action(plan::describe(a));
    FOUCTL_TRY(nl::set_tx_checksum_offload(rt.fd(), a.tunnel, config::tx_checksum_offload(spec)));
    return {};
  }
  case ActionKind::change_port: {
    FOUCTL_TRY_ASSIGN(int ifindex, need_link());
    FOUCTL_TRY_ASSIGN(const kind::Kind *k, kind::for_spec(spec));
    nl::FouPort new_port = kind::fou_port(*k, spec);
    // The old port as the kernel has it (DEL matches its whole tuple).
    nl::FouPort old_port = obs.fou_port(a.before.rx_port, k->underlay)
                               .value_or(kind::fou_port(*k, a.before));
    reporter.action(plan::describe(a));
    FOUCTL_TRY(live.kernel.fou_add(new_port));
    if (auto s = live.kernel.fou_del(old_port); !s && s.error().errnum != EINVAL)
      return s;
    auto mark = format_mark({"kernel", spec.rx_port, spec.tx_port, spec.mtu_auto});
    FOUCTL_TRY(nl::link_set(rt, ifindex, std::nullopt, mark, std::nullopt));
    return refresh(live, obs);
  }
  }
  return {};
}

} // namespace

util::Result<plan::State> observed_state(Live &live, Observed &obs) {
  FOUCTL_TRY_ASSIGN(obs, live.kernel.observe(false));
  plan::State s;
  for (const auto *l : obs.owned())
    if (auto m = parse_mark(l->alias); m && m->mode == "kernel") {
      auto st = live.kernel.status_of(*l, obs);
      s[st.name] = to_state(st, config::Mode::kernel);
    }
  for (const auto &st : live.relay.list(obs))
    s[st.name] = to_state(st, config::Mode::userspace);
  if (live.bpf != nullptr) {
    auto bpf = live.bpf->list();
    if (!bpf && !bpf_unusable(bpf.error()))
      return tl::unexpected(bpf.error());
    for (const auto &st : bpf.value_or(std::vector<TunnelStatus>{}))
      s[st.name] = to_state(st, config::Mode::bpf);
  }
  return s;
}

plan::State desired_state(const std::vector<config::TunnelSpec> &tunnels, bool kernel_ok,
                          bool bpf_ok) {
  plan::State s;
  const std::vector<std::string> bpf_missing =
      bpf_ok ? std::vector<std::string>{} : std::vector<std::string>{"not usable"};
  for (auto spec : tunnels) {
    spec.mode = choose_mode(spec, kernel_ok ? "" : "no FOU", bpf_missing).mode;
    if (!spec.tun_device.empty())
      spec.addresses.clear();
    // The planner compares what the device has: on or off, never auto.
    if (spec.mode == config::Mode::kernel)
      spec.offload = config::tx_checksum_offload(spec) ? config::Offload::on : config::Offload::off;
    else
      spec.offload = config::Offload::automatic;
    plan::TunnelState t{spec, {}};
    if (spec.mode == config::Mode::kernel)
      if (auto k = kind::for_spec(spec))
        t.kind = (*k)->name;
    s[spec.name] = t;
  }
  return s;
}

Status execute(Live &live, Observed &obs, const std::vector<plan::Action> &actions,
               Reporter &reporter) {
  std::vector<plan::Action> done;
  for (const auto &a : actions) {
    auto r = run_one(live, obs, a, reporter);
    if (r) {
      done.push_back(a);
      continue;
    }
    auto err = r.error();
    err.context.push_back("applying '" + plan::describe(a) + "'");
    if (!done.empty())
      reporter.note("rolling back " + std::to_string(done.size()) + " completed step(s)");
    (void)refresh(live, obs);
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
      auto undo = plan::inverse(*it);
      if (auto u = run_one(live, obs, undo, reporter); !u)
        err.hint += std::string(err.hint.empty() ? "" : "; ") + "rollback of '" +
                    plan::describe(undo) + "' failed: " + u.error().describe();
    }
    return tl::unexpected(err);
  }
  return {};
}

} // namespace fouctl::backend
