// The config file's semantic checks: the command line's rules (config::validate()) applied
// key by key, then the rules that only exist between tunnels.
#include <string_view>
#include <utility>

#include "file_internal.hpp"

namespace fouctl::config::detail {

namespace {

// validate() speaks the command line's language; the file has keys instead of options.
// Longest spellings first, so "REMOTE address or subnet" wins over "REMOTE".
constexpr std::pair<std::string_view, std::string_view> k_file_terms[] = {
    {"REMOTE address or subnet", "route"},
    {"REMOTE", "route"},
    {"--mode kernel", "mode 'kernel'"},
    {"--peer-port-fixed", "peer_port_fixed"},
    {"--tun-device", "tun_device"},
    {"--framing", "framing"},
    {"--name", "name"},
    {"--local", "local"},
};

std::string in_file_terms(std::string message) {
  for (auto [cli, file] : k_file_terms) {
    for (auto at = message.find(cli); at != std::string::npos;
         at = message.find(cli, at + file.size()))
      message.replace(at, cli.size(), file);
  }
  return message;
}

// A spec validate() accepts whose values cannot clash with any single value put into it:
// the peer is loopback (exempt from "the route contains the peer"), the one route is
// 127.0.0.1/32 (which contains no non-loopback peer), the MTU suits IPv6 routes, and no
// relay option is set. Each check below changes only what its key needs.
TunnelSpec neutral_spec() {
  static const TunnelSpec base = [] {
    TunnelSpec s;
    s.name = default_name(1);
    s.rx_port = 1;
    s.tx_port = 1;
    s.peer = *util::parse_addr("127.0.0.1");
    s.routes = {*util::parse_prefix("127.0.0.1/32", true)};
    return s;
  }();
  return base;
}

util::Status probe(const TunnelSpec &s) {
  return validate(s).map_error([](util::Error e) {
    e.message = in_file_terms(std::move(e.message));
    return e;
  });
}

bool kernel_capable(const TunnelSpec &s) { return s.mode != Mode::userspace; }

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

} // namespace

util::Status check_name(const std::string &name) {
  auto s = neutral_spec();
  s.name = name;
  return probe(s);
}

util::Status check_peer(const util::IpAddr &peer) {
  auto s = neutral_spec();
  s.peer = peer;
  return probe(s);
}

util::Status check_local(const util::IpAddr &local) {
  auto s = neutral_spec();
  s.local = local;
  // Local and peer must agree on loopback; that rule is between keys, not this one's.
  if (!local.is_loopback())
    s.peer = *util::parse_addr("192.0.2.1");
  return probe(s);
}

util::Status check_mtu(std::uint32_t mtu) {
  auto s = neutral_spec();
  s.mtu = mtu;
  return probe(s);
}

util::Status check_routes(const std::vector<util::Prefix> &routes) {
  auto s = neutral_spec();
  s.routes = routes;
  return probe(s);
}

util::Status check_address(const util::Prefix &address) {
  auto s = neutral_spec();
  s.addresses = {address};
  return probe(s);
}

util::Status check_tun_device(const std::string &device) {
  auto s = neutral_spec();
  s.tun_device = device;
  s.name = device; // a relay on an existing device takes its name
  s.mode = Mode::userspace;
  return probe(s);
}

void verify_tunnel(const TunnelDraft &t, Reader &r) {
  if (t.broken)
    return;
  if (auto st = probe(t.spec); !st)
    r.error(t.pointer, st.error().describe());
}

void verify_against(const std::vector<TunnelDraft> &earlier, const TunnelDraft &t, Reader &r) {
  const auto &s = t.spec;
  for (const auto &e : earlier) {
    // Two default names from one rx_port are the duplicate port below, reported once.
    if (t.name_ok && e.name_ok && s.name == e.spec.name && !(t.name_from_rx && e.name_from_rx))
      r.error(t.name_given ? t.pointer + "/name" : t.pointer,
              "tunnels " + std::to_string(e.index) + " and " + std::to_string(t.index) +
                  " are both named '" + s.name + "'; each tunnel needs its own name");
    if (t.rx_ok && e.rx_ok && s.rx_port == e.spec.rx_port)
      r.error(t.pointer + "/rx_port", both(e, t) + " both listen on rx_port " +
                                          std::to_string(s.rx_port) +
                                          "; two tunnels cannot share a port");
  }
  // The kernel finds the ipip tunnel of a received packet by its outer (local, remote)
  // addresses alone; the FOU port plays no part (ip_tunnel_lookup()).
  for (const auto &e : earlier)
    if (t.outer_ok && e.outer_ok && kernel_capable(s) && kernel_capable(e.spec) &&
        s.peer == e.spec.peer && s.local == e.spec.local && !local_chosen_per_tunnel(s))
      r.error(t.pointer, both(e, t) + " share outer addresses (local " + s.local.to_string() +
                             ", peer " + s.peer.to_string() +
                             "): the kernel cannot tell them apart; give one a different local");
  for (const auto &route : t.routes)
    for (const auto &e : earlier)
      for (const auto &other : e.routes)
        if (route.value.overlaps(other.value))
          r.error(route.pointer, "route " + route.value.to_string() + " of tunnel " + t.label +
                                     " overlaps route " + other.value.to_string() + " of tunnel " +
                                     e.label);
  for (const auto &a : t.addresses)
    for (const auto &e : earlier)
      for (const auto &other : e.addresses)
        if (a.value.addr == other.value.addr)
          r.error(a.pointer, "address " + a.value.addr.to_string() + " of tunnel " + t.label +
                                 " is also an address of tunnel " + e.label);
}

} // namespace fouctl::config::detail
