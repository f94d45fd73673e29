#pragma once
// Shared by the parts of the config file reader: file_json.cpp (syntax, positions, repeated
// keys, wording), file_parse.cpp (the top level), file_tunnel.cpp (the keys of a tunnel and
// their types) and file_verify.cpp (the command line's rules per key, and the rules between
// tunnels). Not a public header.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "fouctl/config/file.hpp"

namespace fouctl::config::detail {

// Ordered, so that keys are visited, and errors reported, in the order of the file.
using Json = nlohmann::ordered_json;
using Diagnostics = std::vector<Diagnostic>;

// Parses the text and collects diagnostics in the order they are found, keeping the first
// k_max_errors of them and counting the rest.
class Reader {
public:
  explicit Reader(Diagnostics &out) : m_out(out) {}

  // False, with a "line L, column C" diagnostic, on a syntax error, a number out of range,
  // or a file past k_max_nesting or k_max_object_keys.
  bool parse(std::string_view text, Json &doc);

  void error(std::string location, std::string message);
  // Every error found so far, kept or not.
  [[nodiscard]] std::size_t found() const { return m_out.size() + m_left_out; }
  // The kept errors from the `first`-th found on, taken out to be reported again with
  // error() in another order. Errors left out stay left out: reporting more before them
  // cannot bring them back under the limit.
  Diagnostics take_from(std::size_t first);

  // Called for each key visited; reports the key when its object gives it more than once
  // (the parser keeps the last value, so the first would be a setting that does nothing).
  void visit_key(const std::string &pointer, std::string_view key);
  // Repeated keys inside values that were wrong anyway, and so never visited.
  void report_remaining();
  // Ends the list with "... and N more errors" when some were left out; returns found().
  std::size_t finish();

  // What parse() learned about repeated keys: their pointers, each once, in document order
  // (at most k_max_errors of them), and how many more there were.
  struct Repeated {
    std::unordered_map<std::string, std::size_t> order; // pointer -> place in the document
    std::size_t more = 0;
  };

private:
  Diagnostics &m_out;
  std::size_t m_left_out = 0;
  Repeated m_repeated;
};

// "/tunnels" + "rx_port" -> "/tunnels/rx_port", escaped as RFC 6901 says ("~0", "~1"); a
// key of more than 40 characters is cut short with "..." (as quote() does).
std::string pointer_to(const std::string &parent, std::string_view key);
std::string pointer_to(const std::string &parent, std::size_t index);

// A user's key or value in a message: quoted and, when long, cut short.
std::string quote(std::string_view s);
// What a value is, for "expected X, got Y": "the string \"2001\"", "null", "an array".
std::string describe(const Json &v);
// The known key at most two edits (ignoring case) from `key`, for "did you mean"; or "".
std::string_view closest(std::string_view key, std::span<const std::string_view> known);

// Another name for a key, such as the command line's ("remote" for "routes").
struct KeyAlias {
  std::string_view alias;
  std::string_view key;
};

// Reports an unknown key of `where` ("a tunnel"), with the known key it probably means or
// else the list of known keys; returns the key it probably means, or "".
std::string_view unknown_key(Reader &r, const std::string &pointer, std::string_view key,
                             std::span<const std::string_view> known, std::string_view where,
                             std::span<const KeyAlias> aliases = {});

template <typename T> struct Located {
  T value;
  std::string pointer; // "/tunnels/0/routes/2"
};

// One tunnel object after decoding: the spec with defaults applied and, for the rules
// between tunnels, which of its values can be trusted.
struct TunnelDraft {
  std::size_t index = 0;
  std::string pointer; // "/tunnels/3"
  TunnelSpec spec;
  std::string label;    // "'fou2001'" in messages, or "3" when the name is unknown
  bool broken = false;  // a key was wrong or missing, so validate(spec) means nothing
  bool name_ok = false; // spec.name is valid: given, or derived from tun_device or rx_port
  bool name_given = false;
  bool name_from_rx = false;
  bool rx_ok = false;
  bool outer_ok = true;                      // peer, local and mode are valid (given or defaulted)
  std::vector<Located<util::Prefix>> routes; // the valid ones, also in spec.routes
  std::vector<Located<util::Prefix>> addresses; // the valid ones, also in spec.addresses
};

// One element of "tunnels": its keys, types and values, with the command line's defaults;
// nothing when it is not an object. Rules that span keys or tunnels are left to verify_*.
std::optional<TunnelDraft> read_tunnel(Reader &r, const Json &v, std::size_t index,
                                       const std::string &pointer);
bool is_tunnel_key(std::string_view key);

// The command line's rules (config::validate()) for one key at a time, so that an error is
// reported at the key that causes it and errors in several keys are all reported. Messages
// use the file's key names ("route", "tun_device") rather than the command line's.
util::Status check_name(const std::string &name);
util::Status check_peer(const util::IpAddr &peer);
util::Status check_local(const util::IpAddr &local);
util::Status check_mtu(std::uint32_t mtu);
util::Status check_routes(const std::vector<util::Prefix> &routes);
util::Status check_address(const util::Prefix &address);
util::Status check_tun_device(const std::string &device);

// validate() of the whole spec, for the rules between keys; nothing when `t` is broken.
void verify_tunnel(const TunnelDraft &t, Reader &r);

// The rules between tunnels (file_between.cpp): unique names and rx ports, outer addresses
// the kernel can tell apart, no overlapping routes, no address on two tunnels. All tunnels
// are checked at once, and each is reported once per rule (once per route or address),
// against the first tunnel before it that it clashes with.
class Clashes {
public:
  explicit Clashes(const std::vector<TunnelDraft> &drafts);
  // The clashes of drafts[i] with tunnels before it, in the order of its keys.
  void report(std::size_t i, Reader &r) const;

  static constexpr std::size_t k_none = static_cast<std::size_t>(-1);

private:
  // routes[item] of drafts[draft]; ordered as in the file, k_none last.
  struct Ref {
    std::size_t draft = k_none;
    std::size_t item = 0;
    auto operator<=>(const Ref &) const = default;
  };
  // The first tunnel before this one with the same name, rx port, outer addresses.
  struct Firsts {
    std::size_t name = k_none;
    std::size_t rx = k_none;
    std::size_t outer = k_none;
  };

  void find_names();
  void find_rx_ports();
  void find_outer();
  void find_routes();
  void find_addresses();

  const std::vector<TunnelDraft> &m_drafts;
  std::vector<Firsts> m_firsts;                      // per draft
  std::vector<std::vector<Ref>> m_routes;            // per draft and route: the first overlap
  std::vector<std::vector<std::size_t>> m_addresses; // per draft and address: the first tunnel
};

} // namespace fouctl::config::detail
