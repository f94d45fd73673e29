#include "fouctl/util/ip.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

namespace fouctl::util {

int af(const IpAddr &a) { return a.family == 4 ? AF_INET : a.family == 6 ? AF_INET6 : AF_UNSPEC; }

bool IpAddr::is_loopback() const {
  if (family == 4)
    return bytes[0] == 127;
  if (family == 6) {
    for (int i = 0; i < 15; ++i)
      if (bytes[i] != 0)
        return false;
    return bytes[15] == 1;
  }
  return false;
}

bool IpAddr::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes[i] != 0)
      return false;
  return true;
}

bool IpAddr::is_link_local() const {
  return family == 6 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

bool IpAddr::is_multicast() const {
  if (family == 4)
    return (bytes[0] & 0xf0) == 0xe0;
  if (family == 6)
    return bytes[0] == 0xff;
  return false;
}

std::string IpAddr::to_string() const {
  if (!is_set())
    return "any";
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(af(*this), bytes.data(), buf, sizeof buf);
  return buf;
}

std::uint32_t IpAddr::v4_be() const {
  std::uint32_t v = 0;
  std::memcpy(&v, bytes.data(), 4);
  return v;
}

IpAddr IpAddr::from_v4_be(std::uint32_t be) { return from_bytes(AF_INET, &be, 4); }

IpAddr IpAddr::from_bytes(int family_af, const void *data, std::size_t len) {
  IpAddr a;
  if (family_af == AF_INET && len >= 4) {
    a.family = 4;
    std::memcpy(a.bytes.data(), data, 4);
  } else if (family_af == AF_INET6 && len >= 16) {
    a.family = 6;
    std::memcpy(a.bytes.data(), data, 16);
  }
  return a;
}

Result<IpAddr> parse_addr(std::string_view text) {
  std::string s(text);
  IpAddr a;
  if (s.find(':') == std::string::npos) {
    if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
      a.family = 4;
      return a;
    }
  } else if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return fail(ErrorKind::usage, "'" + s + "' is not an IPv4 or IPv6 address");
}

static void clear_host_bits(IpAddr &a, int len) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    int bit = static_cast<int>(i) * 8;
    if (bit >= len)
      a.bytes[i] = 0;
    else if (bit + 8 > len)
      a.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - (len - bit)));
  }
}

Result<Prefix> parse_prefix(std::string_view text, bool strict_network) {
  auto slash = text.find('/');
  Prefix p;
  FOUCTL_TRY_ASSIGN(p.addr, parse_addr(text.substr(0, slash)));
  int max = p.addr.family == 4 ? 32 : 128;
  p.len = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    int len = -1;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || len < 0 ||
        len > max)
      return fail(ErrorKind::usage, "'" + std::string(text) + "' has a bad prefix length (0-" +
                                        std::to_string(max) + ")");
    p.len = len;
  }
  if (strict_network && p.network() != p)
    return fail(ErrorKind::usage, "'" + std::string(text) + "' has host bits set; did you mean '" +
                                      p.network().to_string() + "'?");
  return p;
}

std::string Prefix::to_string() const { return addr.to_string() + "/" + std::to_string(len); }

Prefix Prefix::network() const {
  Prefix p = *this;
  clear_host_bits(p.addr, len);
  return p;
}

bool Prefix::contains(const IpAddr &a) const {
  if (a.family != addr.family)
    return false;
  // Whole bytes first, then the bits of a partial byte; no copies (config checks call
  // this for every pair of routes).
  const auto whole = static_cast<std::size_t>(len / 8);
  for (std::size_t i = 0; i < whole; ++i)
    if (a.bytes[i] != addr.bytes[i])
      return false;
  if (int rest = len % 8; rest != 0) {
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a.bytes[whole] & mask) == (addr.bytes[whole] & mask);
  }
  return true;
}

bool Prefix::overlaps(const Prefix &other) const {
  if (other.addr.family != addr.family)
    return false;
  return len <= other.len ? contains(other.addr) : other.contains(addr);
}

} // namespace fouctl::util
