#include "fouctl/config/tunnel.hpp"

#include "fouctl/kind/kind.hpp"

#include <algorithm>
#include <charconv>

namespace fouctl::config {

using util::ErrorKind;
using util::fail;

namespace {

// A user's word in a message, cut short when long (at the start of a UTF-8 character, as the
// config file's quote() does): a config file can hold a name of a megabyte, and a message
// should still fit on a screen.
std::string shown(const std::string &s) {
  constexpr std::size_t k_max = 40;
  if (s.size() <= k_max)
    return s;
  std::size_t end = k_max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80)
    --end;
  return s.substr(0, end) + "...";
}

} // namespace

const char *to_string(Mode m) {
  switch (m) {
  case Mode::automatic:
    return "auto";
  case Mode::kernel:
    return "kernel";
  case Mode::userspace:
    return "userspace";
  case Mode::bpf:
    return "bpf";
  }
  return "?";
}

util::Result<Mode> parse_mode(const std::string &s) {
  if (s == "auto")
    return Mode::automatic;
  if (s == "kernel")
    return Mode::kernel;
  if (s == "userspace")
    return Mode::userspace;
  if (s == "bpf")
    return Mode::bpf;
  return fail(ErrorKind::usage, "mode '" + shown(s) + "' is not one of auto, kernel, userspace, bpf");
}

const char *to_string(Framing f) { return f == Framing::raw ? "raw" : "tun-pi"; }

util::Result<Framing> parse_framing(const std::string &s) {
  if (s == "raw")
    return Framing::raw;
  if (s == "tun-pi")
    return Framing::tun_pi;
  return fail(ErrorKind::usage, "framing '" + shown(s) + "' is not one of raw, tun-pi");
}

const char *to_string(Encap e) { return e == Encap::gue ? "gue" : "fou"; }

util::Result<Encap> parse_encap(const std::string &s) {
  if (s == "fou")
    return Encap::fou;
  if (s == "gue")
    return Encap::gue;
  return fail(ErrorKind::usage, "encap '" + shown(s) + "' is not one of fou, gue");
}

std::string default_name(std::uint16_t rx_port) { return "fou" + std::to_string(rx_port); }

util::Status validate_name(const std::string &name) {
  // IFNAMSIZ is 16 including the NUL; the kernel also refuses "." and "..", '/', ':' and
  // whitespace (dev_valid_name).
  if (name.empty() || name.size() > 15)
    return fail(ErrorKind::usage, "device name '" + shown(name) + "' must be 1 to 15 characters");
  if (name == "." || name == "..")
    return fail(ErrorKind::usage, "device name '" + name + "' is reserved");
  for (char c : name)
    if (c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || c < 0x21 || c > 0x7e)
      return fail(ErrorKind::usage, "device name '" + name +
                                        "' may not contain '/', ':', whitespace or non-ASCII");
  if (name.find_first_not_of("0123456789") == std::string::npos)
    return fail(ErrorKind::usage,
                "device name '" + name + "' is all digits; 'fouctl down' would read it as a port");
  return {};
}

static util::Result<std::uint32_t> parse_uint(const std::string &text, std::uint32_t lo,
                                              std::uint32_t hi, const std::string &what) {
  std::uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi)
    return fail(ErrorKind::usage, what + " '" + shown(text) + "' is not a number from " +
                                      std::to_string(lo) + " to " + std::to_string(hi));
  return v;
}

util::Result<std::uint16_t> parse_port(const std::string &text, const char *what) {
  FOUCTL_TRY_ASSIGN(auto v, parse_uint(text, 1, 65535, what));
  return static_cast<std::uint16_t>(v);
}

util::Result<std::uint32_t> parse_mtu(const std::string &text) {
  return parse_uint(text, k_min_mtu, k_max_mtu, "MTU");
}

util::Status validate(const TunnelSpec &s) {
  FOUCTL_TRY(validate_name(s.name));
  if (s.rx_port == 0 || s.tx_port == 0)
    return fail(ErrorKind::usage, "ports must be from 1 to 65535");
  if (s.mtu < k_min_mtu || s.mtu > k_max_mtu)
    return fail(ErrorKind::usage, "MTU " + std::to_string(s.mtu) + " is outside " +
                                      std::to_string(k_min_mtu) + "-" + std::to_string(k_max_mtu));
  if (s.peer.family != 4 && s.peer.family != 6)
    return fail(ErrorKind::usage, "peer '" + s.peer.to_string() + "' is not an address");
  if (s.peer.is_unspecified() || s.peer.is_multicast())
    return fail(ErrorKind::usage, "peer '" + s.peer.to_string() + "' is not a unicast address");
  if (s.local.is_set() && s.local.family != s.peer.family)
    return fail(ErrorKind::usage, "local '" + s.local.to_string() + "' and peer '" +
                                      s.peer.to_string() + "' must be of the same family");
  if (s.local.is_set() && (s.local.is_unspecified() || s.local.is_multicast()))
    return fail(ErrorKind::usage, "local '" + s.local.to_string() + "' is not a unicast address");
  if (s.local.is_set() && s.local.is_loopback() != s.peer.is_loopback())
    return fail(ErrorKind::usage, "local '" + s.local.to_string() + "' and peer '" +
                                      s.peer.to_string() +
                                      "' must both be loopback or both not be");
  if (s.routes.empty())
    return fail(ErrorKind::usage, "a tunnel needs at least one REMOTE address or subnet");
  for (const auto &r : s.routes) {
    if (r.len == 0)
      return fail(ErrorKind::usage, "REMOTE '" + r.to_string() +
                                        "' would send all traffic into the tunnel; not allowed");
    if (r.addr.family == 6 && s.mtu < 1280)
      return fail(ErrorKind::usage, "IPv6 REMOTE '" + r.to_string() +
                                        "' needs an MTU of at least 1280 (IPv6 minimum)");
    if (r.addr.family == s.peer.family && r.contains(s.peer) && !s.peer.is_loopback())
      return fail(ErrorKind::usage, "REMOTE '" + r.to_string() + "' contains the peer " +
                                        s.peer.to_string() +
                                        ": the tunnel's own packets would loop into it");
  }
  if (s.mode == Mode::kernel) {
    if (auto k = kind::for_spec(s); !k) {
      auto e = k.error();
      e.message = "--mode kernel: " + e.message;
      return tl::unexpected(e);
    }
  }
  // The first route given again; a sorted copy keeps this n log n for a long list.
  auto sorted = s.routes;
  std::sort(sorted.begin(), sorted.end());
  for (const auto &r : s.routes)
    if (auto [first, last] = std::equal_range(sorted.begin(), sorted.end(), r); last - first > 1)
      return fail(ErrorKind::usage, "REMOTE '" + r.to_string() + "' is given twice");
  for (const auto &a : s.addresses)
    if (a.addr.is_unspecified() || a.addr.is_multicast())
      return fail(ErrorKind::usage, "address '" + a.to_string() + "' is not a unicast address");
  bool relay_only = s.framing != Framing::raw || !s.tun_device.empty();
  if (s.offload != Offload::automatic && (relay_only || s.mode == Mode::userspace || s.mode == Mode::bpf))
    return fail(ErrorKind::usage, "--offload is a setting of kernel tunnels; the userspace relay "
                                  "finishes checksums itself");
  if (s.framing == Framing::tun_pi && s.encap == Encap::gue)
    return fail(ErrorKind::usage, "--framing tun-pi (socat's framing) and --encap gue exclude each "
                                  "other: a GUE header already names the inner protocol");
  if (relay_only && s.mode == Mode::bpf)
    return fail(ErrorKind::usage, "--framing and --tun-device need the userspace relay, not --mode bpf");
  if (relay_only && s.mode == Mode::kernel)
    return fail(ErrorKind::usage,
                "--framing and --tun-device need the userspace relay, not --mode kernel");
  if (!s.tun_device.empty()) {
    FOUCTL_TRY(validate_name(s.tun_device));
    if (!s.addresses.empty())
      return fail(ErrorKind::usage, "addresses may not be given with --tun-device '" + s.tun_device +
                                        "': its addresses belong to whoever made it");
    if (s.name != s.tun_device)
      return fail(ErrorKind::usage, "--name '" + s.name + "' and --tun-device '" + s.tun_device +
                                        "' differ; a relay on an existing device takes its name");
  }
  return {};
}

} // namespace fouctl::config
