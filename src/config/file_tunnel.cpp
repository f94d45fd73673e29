// The keys of a tunnel: a table of them, each read with a strict type and the command
// line's own parse_* helper, so that a key means what the option of the same name means to
// `fouctl up`.
#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include "file_internal.hpp"

namespace fouctl::config::detail {

namespace {

// The command line's default for --peer: the seed's link on this host.

// Where a value comes from, for the functions that read one tunnel key.
struct At {
  Reader &r;
  TunnelDraft &t;
  const std::string &pointer;
};

// Readers report their errors and return false; the caller marks the tunnel broken.
bool bad(At at, const util::Error &e) {
  at.r.error(at.pointer, e.describe());
  return false;
}

// Every number is range-checked before it is converted: a float (2001.0, 1e3, or an integer
// beyond 64 bits, which nlohmann reads as one) or a negative number never reaches a cast.
std::optional<std::uint32_t> integer_in(At at, const Json &v, std::uint32_t lo, std::uint32_t hi) {
  auto range = std::to_string(lo) + " to " + std::to_string(hi);
  if (!v.is_number_integer()) {
    at.r.error(at.pointer, "expected an integer from " + range + ", got " + describe(v));
    return std::nullopt;
  }
  // A negative number is number_integer but not number_unsigned.
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() < lo || v.get<std::uint64_t>() > hi) {
    at.r.error(at.pointer, v.dump() + " is not a number from " + range);
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

const std::string &text(const Json &v) { return v.get_ref<const std::string &>(); }

bool read_name(At at, const Json &v) {
  at.t.spec.name = text(v);
  at.t.name_given = true;
  at.t.label = quote(text(v));
  if (auto ok = check_name(text(v)); !ok)
    return bad(at, ok.error());
  at.t.name_ok = true;
  return true;
}

bool read_port(At at, const Json &v, std::uint16_t &port) {
  auto p = integer_in(at, v, 1, 65535);
  if (p)
    port = static_cast<std::uint16_t>(*p);
  return p.has_value();
}

bool read_rx_port(At at, const Json &v) {
  at.t.rx_ok = read_port(at, v, at.t.spec.rx_port);
  return at.t.rx_ok;
}

bool read_tx_port(At at, const Json &v) { return read_port(at, v, at.t.spec.tx_port); }

bool read_address(At at, const Json &v, util::IpAddr &out,
                  util::Status (*check)(const util::IpAddr &)) {
  auto a = util::parse_addr(text(v));
  if (!a)
    return bad(at, a.error());
  if (auto ok = check(*a); !ok)
    return bad(at, ok.error());
  out = *a;
  return true;
}

bool read_peer(At at, const Json &v) { return read_address(at, v, at.t.spec.peer, check_peer); }

bool read_local(At at, const Json &v) { return read_address(at, v, at.t.spec.local, check_local); }

// routes and addresses: arrays of strings, each reported at its own index.
bool read_prefixes(At at, const Json &v, bool routes) {
  auto &spec = at.t.spec;
  bool all_ok = true;
  std::set<util::Prefix> seen; // the routes so far
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto pointer = pointer_to(at.pointer, i);
    At el{at.r, at.t, pointer};
    if (!v[i].is_string()) {
      at.r.error(pointer, "expected a string, got " + describe(v[i]));
      all_ok = false;
      continue;
    }
    // Routes are REMOTE on the command line (no host bits); addresses are --address.
    auto p = util::parse_prefix(text(v[i]), routes);
    if (!p) {
      bad(el, p.error());
      all_ok = false;
      continue;
    }
    // A route on its own, then against the ones before it: given twice, validate() says
    // so of a list that holds it twice.
    auto ok = !routes                  ? check_address(*p)
              : seen.insert(*p).second ? check_routes({*p})
                                       : check_routes({*p, *p});
    if (!ok) {
      bad(el, ok.error());
      all_ok = false;
      continue;
    }
    (routes ? spec.routes : spec.addresses).push_back(*p);
    (routes ? at.t.routes : at.t.addresses).push_back({*p, pointer});
  }
  if (routes && v.empty())
    if (auto ok = check_routes({}); !ok)
      return bad(at, ok.error());
  return all_ok;
}

bool read_routes(At at, const Json &v) { return read_prefixes(at, v, true); }
bool read_addresses(At at, const Json &v) { return read_prefixes(at, v, false); }

bool read_mtu(At at, const Json &v) {
  auto mtu = integer_in(at, v, k_min_mtu, k_max_mtu);
  if (!mtu)
    return false;
  if (auto ok = check_mtu(*mtu); !ok)
    return bad(at, ok.error());
  at.t.spec.mtu = *mtu;
  return true;
}

bool read_mode(At at, const Json &v) {
  auto mode = parse_mode(text(v));
  if (!mode)
    return bad(at, mode.error());
  at.t.spec.mode = *mode;
  return true;
}

bool read_offload(At at, const Json &v) {
  auto offload = parse_offload(text(v));
  if (!offload)
    return bad(at, offload.error());
  at.t.spec.offload = *offload;
  return true;
}

bool read_framing(At at, const Json &v) {
  auto framing = parse_framing(text(v));
  if (!framing)
    return bad(at, framing.error());
  at.t.spec.framing = *framing;
  return true;
}

bool read_encap(At at, const Json &v) {
  auto encap = parse_encap(text(v));
  if (!encap)
    return bad(at, encap.error());
  at.t.spec.encap = *encap;
  return true;
}

bool read_tun_device(At at, const Json &v) {
  at.t.spec.tun_device = text(v); // also the default name, checked again there
  if (auto ok = check_tun_device(text(v)); !ok)
    return bad(at, ok.error());
  return true;
}

bool read_peer_port_fixed(At at, const Json &v) {
  at.t.spec.peer_port_fixed = v.get<bool>();
  return true;
}

enum class Type { integer, string, strings, boolean };

bool has_type(Type type, const Json &v) {
  switch (type) {
  case Type::integer:
    return v.is_number(); // each integer key says its range when it is not a whole number
  case Type::string:
    return v.is_string();
  case Type::strings:
    return v.is_array(); // each element is checked where it can be reported by index
  case Type::boolean:
    return v.is_boolean();
  }
  return false;
}

const char *type_name(Type type) {
  switch (type) {
  case Type::integer:
    return "an integer";
  case Type::string:
    return "a string";
  case Type::strings:
    return "an array of strings";
  case Type::boolean:
    return "true or false";
  }
  return "?";
}

struct TunnelKey {
  std::string_view name;
  Type type;
  bool (*read)(At, const Json &);
  const char *required; // what the key is, for "missing"; null when it has a default
  bool outer;           // peer, local, mode: what the kernel tells tunnels apart by
};

// The command line's options, in the order of `fouctl up --help`.
constexpr TunnelKey k_tunnel_keys[] = {
    {"name", Type::string, read_name, nullptr, false},
    {"rx_port", Type::integer, read_rx_port, "the UDP port this end receives on", false},
    {"tx_port", Type::integer, read_tx_port, "the UDP port packets are sent to", false},
    {"peer", Type::string, read_peer, nullptr, true},
    {"local", Type::string, read_local, nullptr, true},
    {"routes", Type::strings, read_routes, "the addresses or subnets to route into the tunnel",
     false},
    {"addresses", Type::strings, read_addresses, nullptr, false},
    {"mtu", Type::integer, read_mtu, nullptr, false},
    {"mode", Type::string, read_mode, nullptr, true},
    {"encap", Type::string, read_encap, nullptr, false},
    {"offload", Type::string, read_offload, nullptr, false},
    {"framing", Type::string, read_framing, nullptr, false},
    {"tun_device", Type::string, read_tun_device, nullptr, false},
    {"bind_peer", Type::boolean, read_peer_port_fixed, nullptr, false},
    {"peer_port_fixed", Type::boolean, read_peer_port_fixed, nullptr, false}, // its old name
};

constexpr auto k_tunnel_key_names = [] {
  std::array<std::string_view, std::size(k_tunnel_keys)> names{};
  for (std::size_t i = 0; i < names.size(); ++i)
    names[i] = k_tunnel_keys[i].name;
  return names;
}();

// What the command line calls the key (REMOTE).
constexpr KeyAlias k_aliases[] = {{"remote", "routes"}};

} // namespace

std::optional<TunnelDraft> read_tunnel(Reader &r, const Json &v, std::size_t index,
                                       const std::string &pointer) {
  if (!v.is_object()) {
    r.error(pointer, "expected an object (a tunnel), got " + describe(v));
    return std::nullopt;
  }
  TunnelDraft t;
  t.index = index;
  t.pointer = pointer;
  t.spec.peer = *util::parse_addr(k_default_peer);
  std::vector<std::string_view> given, meant;
  for (const auto &item : v.items()) {
    auto key_pointer = pointer_to(pointer, item.key());
    r.visit_key(key_pointer, item.key());
    const auto *key = std::find_if(std::begin(k_tunnel_keys), std::end(k_tunnel_keys),
                                   [&](const TunnelKey &k) { return k.name == item.key(); });
    if (key == std::end(k_tunnel_keys)) {
      meant.push_back(
          unknown_key(r, key_pointer, item.key(), k_tunnel_key_names, "a tunnel", k_aliases));
      continue;
    }
    given.push_back(key->name);
    At at{r, t, key_pointer};
    bool ok = has_type(key->type, item.value());
    if (!ok)
      r.error(key_pointer,
              std::string("expected ") + type_name(key->type) + ", got " + describe(item.value()) +
                  (item.value().is_null() && !key->required ? "; leave the key out for the default"
                                                            : ""));
    else
      ok = key->read(at, item.value());
    if (!ok) {
      t.broken = true;
      t.outer_ok = t.outer_ok && !key->outer;
    }
  }
  for (const auto &key : k_tunnel_keys) {
    if (!key.required || std::find(given.begin(), given.end(), key.name) != given.end())
      continue;
    t.broken = true;
    // A key that was probably misspelt has been reported as such already.
    if (std::find(meant.begin(), meant.end(), key.name) == meant.end())
      r.error(pointer, "missing required key '" + std::string(key.name) + "', " + key.required);
  }
  // The command line's defaults: the MTU from the underlay (resolved by the backend; until
  // then the default for the peer's family and the encapsulation), the TUN device's name,
  // else fou<RX_PORT>.
  if (std::find(given.begin(), given.end(), "mtu") == given.end()) {
    t.spec.mtu = default_mtu(t.spec.peer, t.spec.encap);
    t.spec.mtu_auto = true;
  }
  if (!t.name_given && (!t.spec.tun_device.empty() || t.rx_ok)) {
    t.name_from_rx = t.spec.tun_device.empty();
    t.spec.name = t.name_from_rx ? default_name(t.spec.rx_port) : t.spec.tun_device;
    t.name_ok = check_name(t.spec.name).has_value();
    if (t.name_ok)
      t.label = quote(t.spec.name);
  }
  if (t.label.empty())
    t.label = std::to_string(index);
  return t;
}

bool is_tunnel_key(std::string_view key) {
  return std::find(k_tunnel_key_names.begin(), k_tunnel_key_names.end(), key) !=
         k_tunnel_key_names.end();
}

} // namespace fouctl::config::detail
