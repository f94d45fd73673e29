#pragma once
// IPv4/IPv6 addresses and prefixes, parsed strictly (no "10.1" shorthand, no host bits
// after a route prefix unless asked for), printed the way iproute2 prints them.
#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "fouctl/util/result.hpp"

namespace fouctl::util {

struct IpAddr {
  int family = 0; // AF_INET or AF_INET6; 0 = unset
  std::array<std::uint8_t, 16> bytes{};

  [[nodiscard]] bool is_set() const { return family != 0; }
  [[nodiscard]] std::size_t size() const { return family == 4 ? 4 : family == 6 ? 16 : 0; }
  [[nodiscard]] bool is_loopback() const;
  [[nodiscard]] bool is_unspecified() const;
  [[nodiscard]] bool is_multicast() const;
  // IPv6 fe80::/10, the address the kernel gives every device that is up.
  [[nodiscard]] bool is_link_local() const;
  [[nodiscard]] std::string to_string() const;
  // IPv4 address in network byte order, as netlink wants it.
  [[nodiscard]] std::uint32_t v4_be() const;
  static IpAddr from_v4_be(std::uint32_t be);
  static IpAddr from_bytes(int family, const void *data, std::size_t len);

  auto operator<=>(const IpAddr &) const = default;
};

// Address families are stored as 4/6 rather than AF_* so this header stays syscall-free;
// af() converts for the netlink layer.
int af(const IpAddr &a);

struct Prefix {
  IpAddr addr;
  int len = 0;

  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool contains(const IpAddr &a) const;
  [[nodiscard]] bool overlaps(const Prefix &other) const;
  // The prefix with host bits cleared.
  [[nodiscard]] Prefix network() const;
  auto operator<=>(const Prefix &) const = default;
};

// "192.0.2.1" or "2001:db8::1".
Result<IpAddr> parse_addr(std::string_view text);
// "10.0.2.0/24", or a bare address meaning a host prefix (/32, /128).
// With strict_network, host bits after the prefix are an error ("10.0.2.1/24").
Result<Prefix> parse_prefix(std::string_view text, bool strict_network);

} // namespace fouctl::util
