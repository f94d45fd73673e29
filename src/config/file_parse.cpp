// The config file's keys: the top level with its version, and a table of tunnel keys, each
// read with a strict type and the command line's own parse_* helper, so that a key means
// what the option of the same name means to `fouctl up`.
#include <algorithm>
#include <optional>

#include "file_internal.hpp"

namespace fouctl::config {

using detail::Json;
using detail::Reader;
using detail::TunnelDraft;

namespace {

// The command line's default for --peer: the seed's link on this host.
constexpr const char *k_default_peer = "127.0.0.1";

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

std::optional<std::uint32_t> integer_in(At at, const Json &v, std::uint32_t lo,
                                        std::uint32_t hi) {
  // A negative number is number_integer but not number_unsigned.
  if (!v.is_number_unsigned() || v.get<std::uint64_t>() < lo || v.get<std::uint64_t>() > hi) {
    at.r.error(at.pointer, v.dump() + " is not a number from " + std::to_string(lo) + " to " +
                               std::to_string(hi));
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

const std::string &text(const Json &v) { return v.get_ref<const std::string &>(); }

bool read_name(At at, const Json &v) {
  at.t.spec.name = text(v);
  at.t.name_given = true;
  at.t.label = detail::quote(text(v));
  if (auto ok = detail::check_name(text(v)); !ok)
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

bool read_peer(At at, const Json &v) {
  return read_address(at, v, at.t.spec.peer, detail::check_peer);
}

bool read_local(At at, const Json &v) {
  return read_address(at, v, at.t.spec.local, detail::check_local);
}

// routes and addresses: arrays of strings, each reported at its own index.
bool read_prefixes(At at, const Json &v, bool routes) {
  auto &spec = at.t.spec;
  bool all_ok = true;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto pointer = detail::pointer_to(at.pointer, i);
    At el{at.r, at.t, pointer};
    if (!v[i].is_string()) {
      at.r.error(pointer, "expected a string, got " + detail::describe(v[i]));
      all_ok = false;
      continue;
    }
    // Routes are REMOTE on the command line (no host bits); addresses are --address.
    auto p = util::parse_prefix(text(v[i]), routes);
    if (!p) {
      all_ok = bad(el, p.error()); // false
      continue;
    }
    auto with = routes ? spec.routes : std::vector<util::Prefix>{};
    with.push_back(*p);
    auto ok = routes ? detail::check_routes(with) : detail::check_address(*p);
    if (!ok) {
      all_ok = bad(el, ok.error()); // false
      continue;
    }
    (routes ? spec.routes : spec.addresses).push_back(*p);
    (routes ? at.t.routes : at.t.addresses).push_back({*p, pointer});
  }
  if (routes && v.empty())
    if (auto ok = detail::check_routes({}); !ok)
      return bad(at, ok.error());
  return all_ok;
}

bool read_routes(At at, const Json &v) { return read_prefixes(at, v, true); }
bool read_addresses(At at, const Json &v) { return read_prefixes(at, v, false); }

bool read_mtu(At at, const Json &v) {
  auto mtu = integer_in(at, v, k_min_mtu, k_max_mtu);
  if (!mtu)
    return false;
  if (auto ok = detail::check_mtu(*mtu); !ok)
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

bool read_framing(At at, const Json &v) {
  auto framing = parse_framing(text(v));
  if (!framing)
    return bad(at, framing.error());
  at.t.spec.framing = *framing;
  return true;
}

bool read_tun_device(At at, const Json &v) {
  at.t.spec.tun_device = text(v); // also the default name, checked again there
  if (auto ok = detail::check_tun_device(text(v)); !ok)
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
    return v.is_number_integer();
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
    {"framing", Type::string, read_framing, nullptr, false},
    {"tun_device", Type::string, read_tun_device, nullptr, false},
    {"peer_port_fixed", Type::boolean, read_peer_port_fixed, nullptr, false},
};

constexpr auto k_tunnel_key_names = [] {
  std::array<std::string_view, std::size(k_tunnel_keys)> names{};
  for (std::size_t i = 0; i < names.size(); ++i)
    names[i] = k_tunnel_keys[i].name;
  return names;
}();

constexpr std::string_view k_top_keys[] = {"version", "tunnels"};
constexpr std::string_view k_remote[] = {"remote"}; // REMOTE on the command line
constexpr std::string_view k_in_tunnel = "a tunnel";
constexpr std::string_view k_at_top = "the top level";

// Reports an unknown key; returns the key it probably meant, if any.
std::string_view unknown_key(Reader &r, const std::string &pointer, std::string_view key,
                             std::span<const std::string_view> known, std::string_view where) {
  auto meant = detail::closest(key, known);
  if (meant.empty() && where == k_in_tunnel && !detail::closest(key, k_remote).empty())
    meant = "routes";
  std::string message = "unknown key " + detail::quote(key);
  if (!meant.empty()) {
    message += "; did you mean '" + std::string(meant) + "'?";
  } else {
    message += "; " + std::string(where) + " has";
    for (std::size_t i = 0; i < known.size(); ++i)
      message += (i == 0 ? " " : i + 1 == known.size() ? " and " : ", ") + std::string(known[i]);
  }
  r.error(pointer, message);
  return meant;
}

std::optional<TunnelDraft> read_tunnel(Reader &r, const Json &v, std::size_t index,
                                       const std::string &pointer) {
  if (!v.is_object()) {
    r.error(pointer, "expected an object (a tunnel), got " + detail::describe(v));
    return std::nullopt;
  }
  TunnelDraft t;
  t.index = index;
  t.pointer = pointer;
  t.spec.peer = *util::parse_addr(k_default_peer);
  std::vector<std::string_view> given;
  for (const auto &item : v.items()) {
    auto key_pointer = detail::pointer_to(pointer, item.key());
    r.visit_key(key_pointer, item.key());
    const auto *key = std::find_if(std::begin(k_tunnel_keys), std::end(k_tunnel_keys),
                                   [&](const TunnelKey &k) { return k.name == item.key(); });
    if (key == std::end(k_tunnel_keys)) {
      given.push_back(unknown_key(r, key_pointer, item.key(), k_tunnel_key_names, k_in_tunnel));
      continue;
    }
    given.push_back(key->name);
    At at{r, t, key_pointer};
    bool ok = has_type(key->type, item.value());
    if (!ok)
      r.error(key_pointer, std::string("expected ") + type_name(key->type) + ", got " +
                               detail::describe(item.value()) +
                               (item.value().is_null() && !key->required
                                    ? "; leave the key out for the default"
                                    : ""));
    else
      ok = key->read(at, item.value());
    if (!ok) {
      t.broken = true;
      t.outer_ok = t.outer_ok && !key->outer;
    }
  }
  for (const auto &key : k_tunnel_keys)
    if (key.required && std::find(given.begin(), given.end(), key.name) == given.end()) {
      // A key that was probably misspelt has been reported as such already.
      r.error(pointer, "missing required key '" + std::string(key.name) + "', " + key.required);
      t.broken = true;
    }
  // The command line's defaults: the TUN device's name, else fou<RX_PORT>.
  if (!t.name_given && (!t.spec.tun_device.empty() || t.rx_ok)) {
    t.name_from_rx = t.spec.tun_device.empty();
    t.spec.name = t.name_from_rx ? default_name(t.spec.rx_port) : t.spec.tun_device;
    t.name_ok = detail::check_name(t.spec.name).has_value();
    if (t.name_ok)
      t.label = detail::quote(t.spec.name);
  }
  if (t.label.empty())
    t.label = std::to_string(index);
  return t;
}

void read_tunnels(Reader &r, const std::string &pointer, const Json &v,
                  std::vector<TunnelSpec> &out) {
  if (!v.is_array()) {
    r.error(pointer, "expected an array of tunnels, got " + detail::describe(v));
    return;
  }
  std::vector<TunnelDraft> drafts;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto t = read_tunnel(r, v[i], i, detail::pointer_to(pointer, i));
    if (!t)
      continue;
    detail::verify_tunnel(*t, r);
    detail::verify_against(drafts, *t, r);
    out.push_back(t->spec);
    drafts.push_back(std::move(*t));
  }
}

void read_version(Reader &r, const std::string &pointer, const Json &v) {
  if (!v.is_number_integer())
    r.error(pointer, "expected an integer, got " + detail::describe(v));
  else if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1)
    r.error(pointer, "config version " + v.dump() + " does not exist; this fouctl reads " +
                         std::to_string(k_config_version));
}

} // namespace

ParseOutcome parse_config(std::string_view text) {
  ParseOutcome outcome;
  Reader r(outcome.errors);
  Json doc;
  if (!r.parse(text, doc))
    return outcome;
  if (!doc.is_object()) {
    r.error("/", "expected an object such as {\"version\": 1, \"tunnels\": []}, got " +
                     detail::describe(doc));
    return outcome;
  }
  // The version says how to read the rest, so a newer one stops here rather than produce
  // an error for every key this fouctl does not know yet.
  if (auto v = doc.find("version"); v != doc.end() && v->is_number_unsigned() &&
                                    v->get<std::uint64_t>() > k_config_version) {
    r.error("/version", "config version " + v->dump() +
                            " is newer than this fouctl understands (" +
                            std::to_string(k_config_version) + ")");
    return outcome;
  }
  Config config;
  std::vector<std::string_view> given;
  for (const auto &item : doc.items()) {
    const auto &key = item.key();
    auto pointer = detail::pointer_to("/", key);
    r.visit_key(pointer, key);
    if (key == "version") {
      read_version(r, pointer, item.value());
    } else if (key == "tunnels") {
      read_tunnels(r, pointer, item.value(), config.tunnels);
    } else if (std::find(k_tunnel_key_names.begin(), k_tunnel_key_names.end(), key) !=
               k_tunnel_key_names.end()) {
      r.error(pointer, "'" + key + "' is a key of a tunnel; tunnels go in \"tunnels\": [{...}]");
      continue;
    } else {
      given.push_back(unknown_key(r, pointer, key, k_top_keys, k_at_top));
      continue;
    }
    given.push_back(key == "version" ? k_top_keys[0] : k_top_keys[1]);
  }
  auto missing = [&](std::string_view key) {
    return std::find(given.begin(), given.end(), key) == given.end();
  };
  if (missing("version"))
    r.error("/", "missing required key 'version'; this fouctl reads version " +
                     std::to_string(k_config_version));
  if (missing("tunnels"))
    r.error("/", "missing required key 'tunnels', an array of tunnels ([] for none)");
  r.report_remaining();
  if (outcome.errors.empty())
    outcome.config = std::move(config);
  return outcome;
}

std::string format(const Diagnostic &d, std::string_view source) {
  std::string line = source.empty() ? "" : std::string(source) + ": ";
  line += d.location + ": " + d.message;
  // One diagnostic, one line: a key may hold any character.
  std::string out;
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += "\\x";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace fouctl::config
