#include "fouctl/doctor/procfs.hpp"

#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <string>

namespace fouctl::doctor {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == sep)
      ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != sep)
      ++j;
    if (j > i)
      out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

template <typename T> bool number(std::string_view s, T &v, int base) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// "0100007F:15B3": the address as the kernel's %08X of each 32-bit word read in host order
// (127.0.0.1 shows as 0100007F on little-endian hosts), then the port in host order.
bool parse_endpoint(std::string_view s, int family, util::IpAddr &addr, std::uint16_t &port) {
  const auto colon = s.find(':');
  const std::size_t hex = family == 6 ? 32 : 8;
  if (colon != hex || !number(s.substr(colon + 1), port, 16))
    return false;
  std::uint8_t bytes[16];
  for (std::size_t w = 0; w < hex / 8; ++w) {
    std::uint32_t word = 0;
    if (!number(s.substr(w * 8, 8), word, 16))
      return false;
    // The word was printed as a host-order integer: back to its bytes in memory order.
    std::memcpy(bytes + w * 4, &word, 4);
  }
  addr = util::IpAddr::from_bytes(family == 6 ? AF_INET6 : AF_INET, bytes, hex / 2);
  return true;
}

} // namespace

std::vector<SocketFacts> parse_proc_udp(std::string_view text, int family, std::uint16_t port) {
  std::vector<SocketFacts> out;
  bool header = true;
  for (auto line : split(text, '\n')) {
    if (header) { // "  sl  local_address rem_address ..."
      header = false;
      continue;
    }
    auto f = split(line, ' ');
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (f.size() < 13)
      continue;
    SocketFacts s;
    if (!parse_endpoint(f[1], family, s.local, s.port) || s.port != port)
      continue;
    if (!number(f[9], s.inode, 10) || !number(f[12], s.drops, 10))
      continue;
    out.push_back(s);
  }
  return out;
}

std::optional<std::uint64_t> parse_netstat(std::string_view text, std::string_view group,
                                           std::string_view name) {
  const std::string prefix = std::string(group) + ":";
  std::vector<std::string_view> names;
  for (auto line : split(text, '\n')) {
    auto f = split(line, ' ');
    if (f.empty() || f[0] != prefix)
      continue;
    if (names.empty()) {
      names = f;
      continue;
    }
    for (std::size_t i = 1; i < f.size() && i < names.size(); ++i) {
      std::uint64_t v = 0;
      if (names[i] == name && number(f[i], v, 10))
        return v;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string printable(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max))
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

} // namespace fouctl::doctor
