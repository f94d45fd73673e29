#include "fouctl/plan/plan.hpp"

#include <algorithm>

#include "fouctl/kind/kind.hpp"

namespace fouctl::plan {

namespace {

bool contains(const std::vector<util::Prefix> &v, const util::Prefix &p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

// A relay takes all of its settings at start: any change restarts it. Its MTU is its own
// setting (relay_mtu when the device's differs), not what someone set on the device since.
bool relay_settings_equal(const TunnelState &have, const config::TunnelSpec &b) {
  const auto &a = have.spec;
  std::uint32_t mtu = have.relay_mtu != 0 ? have.relay_mtu : a.mtu;
  return a.rx_port == b.rx_port && a.tx_port == b.tx_port && a.peer == b.peer &&
         a.local == b.local && mtu == b.mtu && a.framing == b.framing && a.encap == b.encap &&
         a.tun_device == b.tun_device && a.peer_port_fixed == b.peer_port_fixed;
}

// A bpf tunnel is a set of map entries, routes and addresses that `up` writes as a whole:
// any difference makes it anew (remove, then create), as a relay's does.
bool bpf_settings_equal(const TunnelState &have, const config::TunnelSpec &b) {
  const auto &a = have.spec;
  auto sorted = [](std::vector<util::Prefix> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  return !have.down && a.rx_port == b.rx_port && a.tx_port == b.tx_port && a.peer == b.peer &&
         (!b.local.is_set() || a.local == b.local) && a.mtu == b.mtu && a.encap == b.encap &&
         a.peer_port_fixed == b.peer_port_fixed && sorted(a.routes) == sorted(b.routes) &&
         sorted(a.addresses) == sorted(b.addresses);
}

// The kind a kernel tunnel's spec asks for; the first row (ipip) for one no kind carries,
// which only a spec that failed verification can be.
const kind::Kind &kind_of(const config::TunnelSpec &spec) {
  auto k = kind::for_spec(spec);
  return k ? **k : *kind::all().front();
}

void push(std::vector<Action> &out, ActionKind kind, const std::string &name,
          const config::TunnelSpec &spec, const config::TunnelSpec &before = {},
          util::Prefix prefix = {}) {
  out.push_back(Action{kind, name, spec, before, prefix});
}

} // namespace

bool same_outer(const config::TunnelSpec &have, const config::TunnelSpec &want) {
  if (have.tx_port != want.tx_port || have.peer != want.peer)
    return false;
  if (want.local.is_set())
    return have.local == want.local;
  // Unset local: the kernel's choice (non-loopback) or fouctl's 127.0.0.N (loopback).
  return want.peer.is_loopback() ? have.local.is_loopback() || !have.local.is_set()
                                 : !have.local.is_set();
}

std::vector<Action> make_plan(const State &observed, const State &desired) {
  std::vector<Action> removals, deletions, changes, additions, creations;
  for (const auto &[name, have] : observed) {
    auto it = desired.find(name);
    if (it == desired.end()) {
      push(removals, ActionKind::remove, name, have.spec);
      continue;
    }
    const auto &want = it->second.spec;
    const auto &h = have.spec;
    bool recreate = h.mode != want.mode ||
                    (want.mode == config::Mode::userspace && !relay_settings_equal(have, want)) ||
                    (!have.kind.empty() && !it->second.kind.empty() && have.kind != it->second.kind) ||
                    // A bound FOU port and the fixed source port: a new port and device.
                    (want.mode == config::Mode::kernel && h.peer_port_fixed != want.peer_port_fixed) ||
                    // Another encapsulation: another FOU port type, and a device that
                    // would send the other format until both change.
                    h.encap != want.encap ||
                    (want.mode == config::Mode::bpf && !bpf_settings_equal(have, want));
    if (recreate) {
      push(removals, ActionKind::remove, name, h);
      push(creations, ActionKind::create, name, want);
      continue;
    }
    if (want.mode == config::Mode::bpf)
      continue; // equal as a whole
    for (const auto &r : h.routes)
      if (!contains(want.routes, r))
        push(deletions, ActionKind::del_route, name, want, h, r);
    for (const auto &a : h.addresses)
      if (!contains(want.addresses, a))
        push(deletions, ActionKind::del_address, name, want, h, a);
    // A relay attached to the user's own TUN device (--tun-device) leaves the device's
    // state to its owner; every other device is fouctl's and is repaired in place.
    const bool own_device = want.tun_device.empty();
    if (have.down && own_device)
      push(changes, ActionKind::link_up, name, want, h);
    // A kernel device's mark also says whether its MTU follows the underlay: rewritten
    // with the MTU. A relay's own setting is not worth a restart.
    const bool mark_differs = want.mode == config::Mode::kernel && h.mtu_auto != want.mtu_auto;
    if ((h.mtu != want.mtu || mark_differs) && own_device)
      push(changes, ActionKind::set_mtu, name, want, h);
    if (want.mode == config::Mode::kernel) {
      if (!same_outer(h, want))
        push(changes, ActionKind::change_encap, name, want, h);
      if (h.rx_port != want.rx_port)
        push(changes, ActionKind::change_port, name, want, h);
      if (h.offload != want.offload)
        push(changes, ActionKind::set_offload, name, want, h);
    }
    for (const auto &a : want.addresses)
      if (!contains(h.addresses, a))
        push(additions, ActionKind::add_address, name, want, h, a);
    for (const auto &r : want.routes)
      if (!contains(h.routes, r) && !contains(have.foreign_routes, r))
        push(additions, ActionKind::add_route, name, want, h, r);
  }
  for (const auto &[name, want] : desired)
    if (!observed.count(name))
      push(creations, ActionKind::create, name, want.spec);

  std::vector<Action> out;
  for (auto *part : {&removals, &deletions, &changes, &additions, &creations})
    out.insert(out.end(), part->begin(), part->end());
  return out;
}

State apply_actions(State s, const std::vector<Action> &actions) {
  for (const auto &a : actions) {
    switch (a.kind) {
    case ActionKind::remove:
      s.erase(a.tunnel);
      break;
    case ActionKind::create:
      s[a.tunnel] = TunnelState{a.spec, {}};
      break;
    case ActionKind::del_route: {
      auto &v = s[a.tunnel].spec.routes;
      v.erase(std::remove(v.begin(), v.end(), a.prefix), v.end());
      break;
    }
    case ActionKind::del_address: {
      auto &v = s[a.tunnel].spec.addresses;
      v.erase(std::remove(v.begin(), v.end(), a.prefix), v.end());
      break;
    }
    case ActionKind::add_route:
      s[a.tunnel].spec.routes.push_back(a.prefix);
      break;
    case ActionKind::add_address:
      s[a.tunnel].spec.addresses.push_back(a.prefix);
      break;
    case ActionKind::set_mtu: {
      auto &t = s[a.tunnel];
      t.spec.mtu = a.spec.mtu;
      t.spec.mtu_auto = a.spec.mtu_auto;
      if (t.relay_mtu == t.spec.mtu)
        t.relay_mtu = 0; // device and relay agree again
      break;
    }
    case ActionKind::link_up:
      s[a.tunnel].down = false;
      break;
    case ActionKind::link_down:
      s[a.tunnel].down = true;
      break;
    case ActionKind::change_encap:
      s[a.tunnel].spec.tx_port = a.spec.tx_port;
      s[a.tunnel].spec.peer = a.spec.peer;
      s[a.tunnel].spec.local = a.spec.local;
      break;
    case ActionKind::change_port:
      s[a.tunnel].spec.rx_port = a.spec.rx_port;
      break;
    case ActionKind::set_offload:
      s[a.tunnel].spec.offload = a.spec.offload;
      break;
    }
  }
  return s;
}

Action inverse(const Action &a) {
  Action r = a;
  switch (a.kind) {
  case ActionKind::remove:
    r.kind = ActionKind::create;
    break;
  case ActionKind::create:
    r.kind = ActionKind::remove;
    break;
  case ActionKind::del_route:
    r.kind = ActionKind::add_route;
    break;
  case ActionKind::add_route:
    r.kind = ActionKind::del_route;
    break;
  case ActionKind::del_address:
    r.kind = ActionKind::add_address;
    break;
  case ActionKind::add_address:
    r.kind = ActionKind::del_address;
    break;
  case ActionKind::link_up:
    r.kind = ActionKind::link_down;
    break;
  case ActionKind::link_down:
    r.kind = ActionKind::link_up;
    break;
  case ActionKind::set_mtu:
  case ActionKind::change_encap:
  case ActionKind::change_port:
  case ActionKind::set_offload:
    std::swap(r.spec, r.before);
    break;
  }
  return r;
}

std::string describe(const Action &a) {
  const auto &n = a.tunnel;
  switch (a.kind) {
  case ActionKind::remove:
    if (a.spec.mode == config::Mode::userspace)
      return "stop relay " + n + "   # its TUN device, addresses and routes go with it";
    if (a.spec.mode == config::Mode::bpf)
      return "remove bpf tunnel " + n + ": its routes, addresses on lo and map entries";
    return "ip link del dev " + n + "; " + kind::fou_port(kind_of(a.spec), a.spec).ip_command("del");
  case ActionKind::create: {
    const auto &s = a.spec;
    std::string c;
    if (s.mode == config::Mode::bpf) {
      c = "bpf tunnel " + n + ": UDP " + (s.local.is_set() ? s.local.to_string() : "*") + ":" +
          std::to_string(s.rx_port) + " <-> " + s.peer.to_string() + ":" + std::to_string(s.tx_port) +
          (s.encap == config::Encap::gue ? " (GUE)" : "") + ", mtu " + std::to_string(s.mtu) +
          " (fou_decap on the underlay's ingress, fou_encap on the routes)";
      for (const auto &ad : s.addresses)
        c += "; ip addr add " + util::Prefix{ad.addr, ad.addr.family == 6 ? 128 : 32}.to_string() +
             " dev lo noprefixroute proto 252";
      for (const auto &r : s.routes)
        c += "; ip route add " + r.to_string() + " encap bpf xmit fou_encap proto 252";
      return c;
    }
    if (s.mode == config::Mode::userspace) {
      auto endpoint = [](const util::IpAddr &addr, int family, std::uint16_t port) {
        std::string text = addr.is_set() ? addr.to_string() : family == 6 ? "::" : "0.0.0.0";
        return (family == 6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
      };
      c = "start relay " + n + ": ip tuntap add dev " + n + " mode tun; ip link set dev " + n +
          " mtu " + std::to_string(s.mtu) + " up; UDP" +
          (s.encap == config::Encap::gue ? " (GUE) " : " ") +
          endpoint(s.local, s.peer.family, s.rx_port) + " <-> " +
          endpoint(s.peer, s.peer.family, s.tx_port);
    } else {
      const auto &k = kind_of(s);
      c = kind::ip_link_add(k, s) + "; " + kind::fou_port(k, s).ip_command("add");
      if (!config::tx_checksum_offload(s))
        c += "; ethtool -K " + n + " tx off";
    }
    for (const auto &ad : s.addresses)
      c += "; ip addr add " + ad.to_string() + " dev " + n;
    for (const auto &r : s.routes)
      c += "; ip route add " + r.to_string() + " dev " + n + " proto 252 scope link";
    return c;
  }
  case ActionKind::del_route:
    return "ip route del " + a.prefix.to_string() + " dev " + n;
  case ActionKind::add_route:
    return "ip route add " + a.prefix.to_string() + " dev " + n + " proto 252 scope link";
  case ActionKind::del_address:
    return "ip addr del " + a.prefix.to_string() + " dev " + n;
  case ActionKind::add_address:
    return "ip addr add " + a.prefix.to_string() + " dev " + n;
  case ActionKind::set_mtu:
    return "ip link set dev " + n + " mtu " + std::to_string(a.spec.mtu);
  case ActionKind::link_up:
    return "ip link set dev " + n + " up";
  case ActionKind::link_down:
    return "ip link set dev " + n + " down";
  case ActionKind::change_encap:
    return kind::ip_link_change(kind_of(a.spec), a.spec);
  case ActionKind::change_port:
    return kind::fou_port(kind_of(a.before), a.before).ip_command("del") + " && " +
           kind::fou_port(kind_of(a.spec), a.spec).ip_command("add");
  case ActionKind::set_offload:
    return "ethtool -K " + n + " tx " + (config::tx_checksum_offload(a.spec) ? "on" : "off");
  }
  return "?";
}

} // namespace fouctl::plan
