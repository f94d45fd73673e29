// The config file's semantic checks: the command line's rules (config::validate()) applied
// key by key, then to the whole tunnel. The rules between tunnels are in file_between.cpp.
#include <algorithm>
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
    {"--mode userspace", "mode 'userspace'"},
    {"--mode bpf", "mode 'bpf'"},
    {"--peer-port-fixed", "peer_port_fixed"},
    {"--tun-device", "tun_device"},
    {"--framing", "framing"},
    {"--encap", "encap"},
    {"--offload", "offload"},
    {"--name", "name"},
    {"--local", "local"},
};

// One pass, so a long message costs no more than its length; what validate() quotes ('...')
// is the user's own text and is left as it is, even when it reads "REMOTE".
std::string in_file_terms(const std::string &message) {
  std::string out;
  bool quoted = false;
  for (std::size_t at = 0; at < message.size();) {
    const auto *term =
        quoted ? std::end(k_file_terms)
               : std::find_if(std::begin(k_file_terms), std::end(k_file_terms), [&](const auto &t) {
                   return message.compare(at, t.first.size(), t.first) == 0;
                 });
    if (term == std::end(k_file_terms)) {
      quoted = quoted != (message[at] == '\'');
      out += message[at++];
    } else {
      out += term->second;
      at += term->first.size();
    }
  }
  return out;
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
    e.hint = in_file_terms(std::move(e.hint));
    return e;
  });
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
  // Local and peer must agree on loopback and family; those rules are between keys, not
  // this one's.
  if (local.family == 6)
    s.peer = *util::parse_addr(local.is_loopback() ? "::1" : "2001:db8::1");
  else if (!local.is_loopback())
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

} // namespace fouctl::config::detail
