// The config file's rules between tunnels. A file under 1 MiB holds tens of thousands of
// tunnels, so no rule compares every pair: names, ports and addresses go through maps of the
// first tunnel with each value, and routes through one sort.
#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "file_internal.hpp"
#include "fouctl/kind/kind.hpp"

namespace fouctl::config::detail {

namespace {

constexpr auto k_none = Clashes::k_none;

bool kernel_capable(const TunnelSpec &s) {
  return s.mode == Mode::automatic || s.mode == Mode::kernel;
}

// Loopback tunnels without a local address get 127.0.0.N of their own when they come up
// (see KernelBackend::choose_local), so their outer addresses never clash.
bool local_chosen_per_tunnel(const TunnelSpec &s) {
  return s.peer.is_loopback() && !s.local.is_set();
}

std::string both(const TunnelDraft &a, const TunnelDraft &b) {
  if (a.label == b.label) // both named after one rx_port, say
    return "tunnels " + std::to_string(a.index) + " and " + std::to_string(b.index);
  return "tunnels " + a.label + " and " + b.label;
}

// The first tunnel seen with `key`, or k_none when `i` is the first (and is now recorded).
template <typename Map, typename Key>
std::size_t first_with(Map &firsts, Key &&key, std::size_t i) {
  auto [at, inserted] = firsts.try_emplace(std::forward<Key>(key), i);
  return inserted ? k_none : at->second;
}

bool contains(const util::Prefix &outer, const util::Prefix &inner) {
  return outer.len <= inner.len && outer.contains(inner.addr);
}

} // namespace

Clashes::Clashes(const std::vector<TunnelDraft> &drafts)
    : m_drafts(drafts), m_firsts(drafts.size()), m_routes(drafts.size()),
      m_addresses(drafts.size()) {
  find_names();
  find_rx_ports();
  find_outer();
  find_routes();
  find_addresses();
}

void Clashes::find_names() {
  // Two default names from one rx_port are the duplicate port, reported once: a name made
  // from the port clashes only with a name given (or taken from tun_device).
  std::unordered_map<std::string, std::size_t> any, not_from_rx;
  for (std::size_t i = 0; i < m_drafts.size(); ++i) {
    const auto &t = m_drafts[i];
    if (!t.name_ok)
      continue;
    auto first = first_with(any, t.spec.name, i);
    if (t.name_from_rx) {
      auto given = not_from_rx.find(t.spec.name);
      m_firsts[i].name = given == not_from_rx.end() ? k_none : given->second;
    } else {
      m_firsts[i].name = first;
      not_from_rx.try_emplace(t.spec.name, i);
    }
  }
}

void Clashes::find_rx_ports() {
  std::unordered_map<std::uint16_t, std::size_t> firsts;
  for (std::size_t i = 0; i < m_drafts.size(); ++i)
    if (m_drafts[i].rx_ok)
      m_firsts[i].rx = first_with(firsts, m_drafts[i].spec.rx_port, i);
}

void Clashes::find_outer() {
  // The kernel finds the tunnel of a received packet by its outer (local, remote)
  // addresses alone, among the devices of one kind; the FOU port plays no part
  // (ip_tunnel_lookup()). An ipip and a sit device may share the pair: IPIP and IPv6
  // payloads go to different handlers. Two tunnels with the same pair both have a local or
  // both leave it to fouctl, so one test serves both.
  std::map<std::tuple<std::string, util::IpAddr, util::IpAddr>, std::size_t> firsts;
  for (std::size_t i = 0; i < m_drafts.size(); ++i) {
    const auto &s = m_drafts[i].spec;
    if (!m_drafts[i].outer_ok || !kernel_capable(s) || local_chosen_per_tunnel(s))
      continue;
    auto k = kind::for_spec(s);
    if (k)
      m_firsts[i].outer = first_with(firsts, std::tuple(std::string((*k)->link_kind), s.peer, s.local), i);
  }
}

void Clashes::find_routes() {
  // Sorted by address, then length, a prefix comes after every prefix that contains it and
  // before those it contains; prefixes never partly overlap, so the ones containing the
  // current one form a stack. Each route's first overlap is the smallest Ref among the
  // open prefixes below it on the stack and among those closed while it was open.
  struct Route {
    const util::Prefix *prefix;
    Ref ref;
  };
  std::vector<Route> all;
  for (std::size_t i = 0; i < m_drafts.size(); ++i) {
    m_routes[i].assign(m_drafts[i].routes.size(), Ref{});
    for (std::size_t j = 0; j < m_drafts[i].routes.size(); ++j)
      all.push_back({&m_drafts[i].routes[j].value, {i, j}});
  }
  std::sort(all.begin(), all.end(), [](const Route &a, const Route &b) {
    return std::tie(*a.prefix, a.ref) < std::tie(*b.prefix, b.ref);
  });
  struct Open {
    const Route *route;
    Ref above; // the first among the routes that contain it
    Ref below; // the first among the routes it contains
  };
  std::vector<Open> open;
  auto close = [&] {
    auto o = open.back();
    open.pop_back();
    auto first = std::min(o.above, o.below);
    if (first.draft < o.route->ref.draft) // an earlier tunnel, not this one
      m_routes[o.route->ref.draft][o.route->ref.item] = first;
    if (!open.empty())
      open.back().below = std::min({open.back().below, o.route->ref, o.below});
  };
  for (const auto &r : all) {
    while (!open.empty() && !contains(*open.back().route->prefix, *r.prefix))
      close();
    Ref above = open.empty() ? Ref{} : std::min(open.back().above, open.back().route->ref);
    open.push_back({&r, above, Ref{}});
  }
  while (!open.empty())
    close();
}

void Clashes::find_addresses() {
  std::map<util::IpAddr, std::size_t> firsts;
  for (std::size_t i = 0; i < m_drafts.size(); ++i) {
    const auto &addresses = m_drafts[i].addresses;
    // One tunnel may repeat its own address, so look all of them up before adding any.
    for (const auto &a : addresses) {
      auto at = firsts.find(a.value.addr);
      m_addresses[i].push_back(at == firsts.end() ? k_none : at->second);
    }
    for (const auto &a : addresses)
      firsts.try_emplace(a.value.addr, i);
  }
}

void Clashes::report(std::size_t i, Reader &r) const {
  const auto &t = m_drafts[i];
  const auto &s = t.spec;
  const auto &f = m_firsts[i];
  auto report_name = [&] {
    const auto &e = m_drafts[f.name];
    r.error(t.name_given ? t.pointer + "/name" : t.pointer,
            "tunnels " + std::to_string(e.index) + " and " + std::to_string(t.index) +
                " are both named '" + s.name + "'; each tunnel needs its own name");
  };
  auto report_rx = [&] {
    r.error(t.pointer + "/rx_port", both(m_drafts[f.rx], t) + " both listen on rx_port " +
                                        std::to_string(s.rx_port) +
                                        "; two tunnels cannot share a port");
  };
  // In the order of the tunnels they clash with, as when each pair was compared in turn.
  if (f.name != k_none && f.name <= f.rx) {
    report_name();
    if (f.rx != k_none)
      report_rx();
  } else if (f.rx != k_none) {
    report_rx();
    if (f.name != k_none)
      report_name();
  }
  if (f.outer != k_none)
    r.error(t.pointer, both(m_drafts[f.outer], t) + " share outer addresses (local " +
                           s.local.to_string() + ", peer " + s.peer.to_string() +
                           "): the kernel cannot tell them apart; give one a different local");
  for (std::size_t j = 0; j < t.routes.size(); ++j) {
    auto first = m_routes[i][j];
    if (first.draft == k_none)
      continue;
    const auto &e = m_drafts[first.draft];
    r.error(t.routes[j].pointer, "route " + t.routes[j].value.to_string() + " of tunnel " +
                                     t.label + " overlaps route " +
                                     e.routes[first.item].value.to_string() + " of tunnel " +
                                     e.label);
  }
  for (std::size_t j = 0; j < t.addresses.size(); ++j)
    if (auto first = m_addresses[i][j]; first != k_none)
      r.error(t.addresses[j].pointer, "address " + t.addresses[j].value.addr.to_string() +
                                          " of tunnel " + t.label +
                                          " is also an address of tunnel " + m_drafts[first].label);
}

} // namespace fouctl::config::detail
