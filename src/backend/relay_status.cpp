// What a running relay reports about itself (its control socket's "status" answer), and
// how that compares with a requested tunnel.
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "fouctl/backend/userspace.hpp"
#include "fouctl/backend/runtime.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;

namespace {

using Json = nlohmann::json;

// The relay counts 5 drop reasons (relay/counters.hpp); room for more, not for thousands.
constexpr std::size_t k_max_drop_reasons = 16;
constexpr std::size_t k_max_word = 32;    // a drop reason, a framing
constexpr std::size_t k_max_address = 64; // longer than any address's text form

// What a value is, for "'mtu' is X, not ...": a number as written, else its type (a
// string could be long).
std::string what_is(const Json &v) {
  if (v.is_number())
    return v.dump();
  if (v.is_null())
    return "null";
  return (v.is_object() || v.is_array() ? "an " : "a ") + std::string(v.type_name());
}

// Every number is range-checked before it is converted: a negative, fractional or huge
// value from a confused relay is an error, never a float converted out of range or an
// integer silently cut to the field's width.
template <typename T>
Result<T> integer(const Json &v, const std::string &field, T lo = std::numeric_limits<T>::min(),
                  T hi = std::numeric_limits<T>::max()) {
  if (v.is_number_unsigned()) {
    auto n = v.get<std::uint64_t>();
    if (std::cmp_greater_equal(n, lo) && std::cmp_less_equal(n, hi))
      return static_cast<T>(n);
  } else if (v.is_number_integer()) {
    auto n = v.get<std::int64_t>();
    if (std::cmp_greater_equal(n, lo) && std::cmp_less_equal(n, hi))
      return static_cast<T>(n);
  }
  return fail(ErrorKind::system, "'" + field + "' is " + what_is(v) + ", not an integer from " +
                                     std::to_string(lo) + " to " + std::to_string(hi));
}

// A member of an object, or null when it is missing (which every reader below refuses).
const Json &member(const Json &object, const std::string &field) {
  static const Json k_missing;
  auto it = object.find(field);
  return it == object.end() ? k_missing : *it;
}

template <typename T>
Result<T> integer_member(const Json &object, const std::string &field,
                         T lo = std::numeric_limits<T>::min(),
                         T hi = std::numeric_limits<T>::max()) {
  return integer<T>(member(object, field), field, lo, hi);
}

Result<std::string> text_member(const Json &object, const std::string &field, std::size_t max) {
  const auto &v = member(object, field);
  if (!v.is_string())
    return fail(ErrorKind::system, "'" + field + "' is " + what_is(v) + ", not a string");
  const auto &s = v.get_ref<const std::string &>();
  if (s.size() > max)
    return fail(ErrorKind::system, "'" + field + "' has " + std::to_string(s.size()) +
                                       " characters, more than " + std::to_string(max));
  return s;
}

// "" for an address the relay leaves to the kernel ("local" without --local).
Result<util::IpAddr> address_member(const Json &object, const std::string &field,
                                    bool may_be_empty) {
  FOUCTL_TRY_ASSIGN(auto s, text_member(object, field, k_max_address));
  if (s.empty() && may_be_empty)
    return util::IpAddr{};
  auto a = util::parse_addr(s);
  if (!a)
    return fail(ErrorKind::system, "'" + field + "' is not an address: " + a.error().message);
  return *a;
}

util::Status read_counters(const Json &c, TunnelStatus &s) {
  if (!c.is_object())
    return fail(ErrorKind::system, "'counters' is " + what_is(c) + ", not an object");
  FOUCTL_TRY_ASSIGN(s.counters.rx_packets, integer_member<std::uint64_t>(c, "rx_packets"));
  FOUCTL_TRY_ASSIGN(s.counters.rx_bytes, integer_member<std::uint64_t>(c, "rx_bytes"));
  FOUCTL_TRY_ASSIGN(s.counters.tx_packets, integer_member<std::uint64_t>(c, "tx_packets"));
  FOUCTL_TRY_ASSIGN(s.counters.tx_bytes, integer_member<std::uint64_t>(c, "tx_bytes"));
  return {};
}

util::Status read_drops(const Json &drops, TunnelStatus &s) {
  if (!drops.is_object())
    return fail(ErrorKind::system, "'drops' is " + what_is(drops) + ", not an object");
  if (drops.size() > k_max_drop_reasons)
    return fail(ErrorKind::system, "'drops' has " + std::to_string(drops.size()) +
                                       " reasons, more than " + std::to_string(k_max_drop_reasons));
  for (const auto &[reason, n] : drops.items()) {
    if (reason.size() > k_max_word)
      return fail(ErrorKind::system, "a drop reason has " + std::to_string(reason.size()) +
                                         " characters, more than " + std::to_string(k_max_word));
    FOUCTL_TRY_ASSIGN(auto count, integer<std::uint64_t>(n, "drops." + reason));
    s.drops.emplace_back(reason, count);
    // udp_send and too_big happen on the way out (TUN to UDP), the rest on the way in.
    bool out = reason == "udp_send" || reason == "too_big";
    auto &total = out ? s.counters.tx_dropped : s.counters.rx_dropped;
    total += std::min(count, std::numeric_limits<std::uint64_t>::max() - total); // saturates
  }
  return {};
}

util::Status read_status(const Json &j, TunnelStatus &s) {
  // The caller takes the relay's pid from its socket (SO_PEERCRED); a reply that still
  // carries one must carry a possible one.
  if (j.contains("pid")) {
    FOUCTL_TRY_ASSIGN(s.pid, integer_member<int>(j, "pid", 1));
  }
  FOUCTL_TRY_ASSIGN(s.uid, integer_member<unsigned>(j, "uid"));
  FOUCTL_TRY_ASSIGN(s.rx_port, integer_member<std::uint16_t>(j, "rx_port", 1));
  FOUCTL_TRY_ASSIGN(s.tx_port, integer_member<std::uint16_t>(j, "tx_port", 1));
  FOUCTL_TRY_ASSIGN(s.peer, address_member(j, "peer", false));
  FOUCTL_TRY_ASSIGN(s.local, address_member(j, "local", true));
  FOUCTL_TRY_ASSIGN(s.mtu,
                    integer_member<std::uint32_t>(j, "mtu", config::k_min_mtu, config::k_max_mtu));
  s.relay_mtu = s.mtu; // until the device's own is known (statuses)
  FOUCTL_TRY_ASSIGN(s.framing, text_member(j, "framing", k_max_word));
  FOUCTL_TRY_ASSIGN(s.tun_device, text_member(j, "tun_device", IFNAMSIZ - 1));
  // Relays from before GUE and the underlay's MTU do not report them.
  if (j.contains("encap")) {
    FOUCTL_TRY_ASSIGN(s.encap, text_member(j, "encap", k_max_word));
    if (s.encap != "fou" && s.encap != "gue")
      return fail(ErrorKind::system, "'encap' is \"" + s.encap + "\", not fou or gue");
  }
  if (j.contains("mtu_auto")) {
    const auto &automatic = member(j, "mtu_auto");
    if (!automatic.is_boolean())
      return fail(ErrorKind::system, "'mtu_auto' is " + what_is(automatic) + ", not true or false");
    s.mtu_auto = automatic.get<bool>();
  }
  const auto &fixed = member(j, "peer_port_fixed");
  if (!fixed.is_boolean())
    return fail(ErrorKind::system,
                "'peer_port_fixed' is " + what_is(fixed) + ", not true or false");
  s.peer_port_fixed = fixed.get<bool>();
  FOUCTL_TRY(read_counters(member(j, "counters"), s));
  // Relays from before checksum completion do not report it.
  if (j.contains("checksums_completed")) {
    FOUCTL_TRY_ASSIGN(s.checksums_completed,
                      integer_member<std::uint64_t>(j, "checksums_completed"));
  }
  if (j.contains("fragmented")) {
    FOUCTL_TRY_ASSIGN(s.fragmented, integer_member<std::uint64_t>(j, "fragmented"));
  }
  return read_drops(member(j, "drops"), s);
}

} // namespace

Result<TunnelStatus> parse_relay_status(const std::string &name, const std::string &text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorKind::system, "relay '" + name + "' answered with something unreadable");
  TunnelStatus s;
  s.name = name;
  s.mode = "userspace";
  s.up = true;
  s.rx_port_open = true;
  if (auto ok = read_status(j, s); !ok) {
    auto e = ok.error();
    e.message = "relay '" + name + "' sent a status fouctl cannot use: " + e.message;
    return tl::unexpected(std::move(e));
  }
  return s;
}

std::vector<TunnelStatus> UserspaceBackend::statuses(const std::vector<RelayRef> &refs,
                                                     const Observed &obs) {
  std::vector<TunnelStatus> out;
  for (const auto &ref : refs) {
    auto client = connect_relay(ref);
    if (!client) {
      if (client.error().kind == ErrorKind::conflict)
        m_warnings.push_back(client.error().message);
      else if (client.error().kind == ErrorKind::not_found)
        (void)relay::remove_stale(ref.dir, ref.name); // killed: its files stay behind
      continue;
    }
    auto reply = client->request("status");
    if (!reply)
      continue; // exited meanwhile
    auto s = parse_relay_status(ref.name, *reply);
    if (!s) {
      m_warnings.push_back(s.error().message);
      continue;
    }
    s->pid = client->pid(); // the authenticated peer, not what the answer says
    const auto *link = obs.link_by_name(s->tun_device.empty() ? ref.name : s->tun_device);
    if (link) {
      // The kernel's objects are described by the kernel: a device set down, given
      // another MTU or stripped of addresses by hand shows as such.
      s->ifindex = link->ifindex;
      s->up = link->is_up();
      s->mtu = link->mtu;
      s->routes = obs.routes_through(link->ifindex);
      for (const auto &r : obs.routes_of(link->ifindex))
        s->owned_routes.push_back(r.dst);
      s->addresses = obs.addrs_of(link->ifindex);
    }
    out.push_back(*s);
  }
  return out;
}

std::vector<TunnelStatus> UserspaceBackend::list() {
  auto dir = runtime_dir(false);
  auto own = dir ? relay::list_relays(dir->relay_dir) : std::vector<std::string>{};
  // Without relays of its own, only root looks further (other users' TUN relays).
  if (own.empty() && ::geteuid() != 0)
    return {};
  auto obs = observe();
  return list(obs ? *obs : Observed{});
}

std::vector<TunnelStatus> UserspaceBackend::list(const Observed &obs) {
  return statuses(relay_refs(&obs), obs);
}

std::vector<std::string> relay_differences(const config::TunnelSpec &spec,
                                                  const TunnelStatus &now) {
  std::vector<std::string> d;
  auto differ = [&](const std::string &what, const std::string &have, const std::string &want) {
    if (have != want)
      d.push_back(what + " is " + have + ", not " + want);
  };
  differ("receive port", std::to_string(now.rx_port), std::to_string(spec.rx_port));
  differ("transmit port", std::to_string(now.tx_port), std::to_string(spec.tx_port));
  differ("peer", now.peer.to_string(), spec.peer.to_string());
  differ("local", now.local.to_string(), spec.local.to_string());
  differ("MTU", std::to_string(now.relay_mtu ? now.relay_mtu : now.mtu), std::to_string(spec.mtu));
  differ("framing", now.framing, config::to_string(spec.framing));
  differ("encap", now.encap, config::to_string(spec.encap));
  differ("TUN device", now.tun_device.empty() ? "its own" : now.tun_device,
         spec.tun_device.empty() ? "its own" : spec.tun_device);
  if (now.peer_port_fixed != spec.peer_port_fixed)
    d.push_back("peer-port-fixed differs");
  for (const auto &r : now.owned_routes)
    if (std::find(spec.routes.begin(), spec.routes.end(), r) == spec.routes.end())
      d.push_back("it routes " + r.to_string() + ", which is not asked for");
  return d;
}

} // namespace fouctl::backend
