#pragma once
// Helpers shared by the config file's tests (test_config_file*.cpp).
#include <doctest/doctest.h>

#include <ctime>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "fouctl/config/file.hpp"

namespace fouctl::config {
// For doctest's messages when two lists of diagnostics differ (found by ADL).
inline std::ostream &operator<<(std::ostream &os, const std::vector<Diagnostic> &ds) {
  os << "{";
  for (const auto &d : ds)
    os << "\n  {\"" << d.location << "\", \"" << d.message << "\"}";
  return os << "}";
}
} // namespace fouctl::config

namespace fouctl::test {

using Errors = std::vector<config::Diagnostic>;

// configs/ in the source tree, which CMake names (tests/unit/CMakeLists.txt): not __FILE__,
// which a package build maps to a relative path (-ffile-prefix-map=SRC=.), nor the current
// directory, which is the build directory under ctest and dh_auto_test.
inline std::filesystem::path examples_dir() {
  return std::filesystem::path(FOUCTL_SOURCE_DIR) / "configs";
}

// A config of one tunnel: `base` (the required keys by default) plus `extra` (", ...").
inline std::string one_tunnel(
    const std::string &extra,
    const std::string &base = R"("rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"])") {
  return R"({"version": 1, "tunnels": [{)" + base + extra + "}]}";
}

// The errors of a config that must be invalid.
inline Errors errors_of(std::string_view text) {
  auto r = config::parse_config(text);
  CHECK_FALSE(r.config.has_value());
  CHECK_FALSE(r.errors.empty());
  return r.errors;
}

// The config of a text that must be valid; its errors are shown when it is not.
inline config::Config valid(std::string_view text) {
  auto r = config::parse_config(text);
  for (const auto &e : r.errors)
    FAIL_CHECK(config::format(e, "config"));
  REQUIRE(r.config.has_value());
  CHECK(r.errors.empty());
  return *r.config;
}

// What `fouctl check` reads at most, less room for a test's own wrapping.
constexpr std::size_t k_file_limit = (1 << 20) - 64;

// parse_config() of a hostile `text`, which must take well under a second of CPU time: the
// quadratic code this replaced took from seconds to minutes on the same inputs.
inline config::ParseOutcome parse_quickly(const std::string &text) {
  // FOUCTL_SANITIZE builds (AddressSanitizer is always one of them) run several times slower.
  double bound = 1;
#if defined(__SANITIZE_ADDRESS__) // g++
  bound = 5;
#elif defined(__has_feature) // clang
#if __has_feature(address_sanitizer)
  bound = 5;
#endif
#endif
  CHECK(text.size() <= k_file_limit);
  auto start = std::clock();
  auto outcome = config::parse_config(text);
  CHECK(static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC < bound);
  return outcome;
}

// Every field of a spec, so that CHECK(spec_text(a) == spec_text(b)) shows what differs.
inline std::string spec_text(const config::TunnelSpec &s) {
  std::string t = "name=" + s.name + " rx=" + std::to_string(s.rx_port) +
                  " tx=" + std::to_string(s.tx_port) + " mtu=" + std::to_string(s.mtu) +
                  (s.mtu_auto ? "(auto)" : "") + " encap=" + config::to_string(s.encap) +
                  " peer=" + s.peer.to_string() + " local=" + s.local.to_string() +
                  " mode=" + config::to_string(s.mode) +
                  " framing=" + config::to_string(s.framing) + " tun_device=" + s.tun_device +
                  " peer_port_fixed=" + (s.peer_port_fixed ? "1" : "0") + " routes=";
  for (const auto &r : s.routes)
    t += r.to_string() + ",";
  t += " addresses=";
  for (const auto &a : s.addresses)
    t += a.to_string() + ",";
  return t;
}

} // namespace fouctl::test
