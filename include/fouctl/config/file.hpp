#pragma once
// The declarative config file (fouctl.json(5)): every tunnel a host should have, in the
// command line's own terms, so that `fouctl check` and `fouctl apply` read it the way
// `fouctl up` reads its arguments.
//
//   {"version": 1,
//    "tunnels": [{"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"], "mtu": 100}]}
//
// Tunnel keys: name (default "fou<rx_port>", or tun_device when that is given), rx_port and
// tx_port (required, 1-65535), peer (default "127.0.0.1"), local, routes (required: at least
// one address or subnet without host bits), addresses (host bits allowed, default none),
// mtu (68-65507, default 1472), mode ("auto", "kernel", "userspace"), framing ("raw",
// "tun-pi"), tun_device, peer_port_fixed (default false). Types are strict: "2001" is not a
// port. An optional key is left out, not set to null.
//
// Pure: parses text handed in; reading the file is the caller's business (cli/check.hpp).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fouctl/config/tunnel.hpp"

namespace fouctl::config {

// The schema version this fouctl reads; a file with a higher one is refused rather than
// half understood.
constexpr int k_config_version = 1;

// Bounds that keep any file under the 1 MiB read limit cheap to check. A file past either
// of the first two is refused with a located error before it is read any further: arrays
// and objects nested more than k_max_nesting deep (a config needs 4), an object with more
// than k_max_object_keys keys (a tunnel has about a dozen). The first k_max_errors errors
// are reported, then one line says how many more there were.
constexpr std::size_t k_max_nesting = 64;
constexpr std::size_t k_max_object_keys = 256;
constexpr std::size_t k_max_errors = 100;

struct Config {
  int version = k_config_version;
  std::vector<TunnelSpec> tunnels; // in file order; names and rx ports are unique
};

// One problem found in a config file.
struct Diagnostic {
  // Where: "line 3, column 14" (1-based; columns count characters) for a syntax error; else
  // a JSON pointer (RFC 6901) to the value at fault: "/tunnels/0/rx_port",
  // "/tunnels/0/routes/1"; "/tunnels/1" for a rule between keys of one tunnel or between
  // tunnels (the later of the two); "/" for the document itself, and for the line that ends
  // a list cut at k_max_errors ("... and 12 more errors"). A key longer than 40 characters
  // is cut short with "...".
  std::string location;
  std::string
      message; // no location and no trailing period: "70000 is not a number from 1 to 65535"

  bool operator==(const Diagnostic &) const = default;
};

struct ParseOutcome {
  std::optional<Config> config;   // set exactly when `errors` is empty
  std::vector<Diagnostic> errors; // in document order: the first k_max_errors, then the count
                                  // of the rest when there are more
  std::size_t error_count = 0;    // every error found, also those left out of `errors`
};

// Syntax, then types, then each tunnel through config::validate() (the command line's
// rules), then the rules between tunnels: unique names and rx ports, outer addresses the
// kernel can tell apart, no overlapping routes, no address on two tunnels. Reports every
// error it finds rather than stopping at the first (up to k_max_errors), each tunnel once per
// rule, against the first tunnel before it that it clashes with. Takes time and memory
// about linear in the size of the text, whatever the text.
ParseOutcome parse_config(std::string_view text);

// The config file that describes `tunnels`: parse_config() of it gives them back. Keys at
// their default are left out. (`up` hands a relay unit its tunnel this way.)
std::string write_config(const std::vector<TunnelSpec> &tunnels);

// One tunnel object of that file, keys in the file's order (`plan --json` shows a tunnel
// it creates or removes this way).
nlohmann::ordered_json tunnel_to_json(const TunnelSpec &t);

// "fouctl.json: /tunnels/0/rx_port: 70000 is not a number from 1 to 65535"; `source` names
// the file (left out when empty).
std::string format(const Diagnostic &d, std::string_view source);

} // namespace fouctl::config
