#include "fouctl/relay/icmp.hpp"

#include <algorithm>
#include <cstring>

#include "fouctl/relay/packet.hpp"

namespace fouctl::relay {

namespace {

constexpr std::size_t k_ipv4_header = 20;
constexpr std::size_t k_ipv6_header = 40;
constexpr std::size_t k_icmp_header = 8;
constexpr std::uint8_t k_proto_icmp = 1;
constexpr std::uint8_t k_proto_icmpv6 = 58;
constexpr std::uint8_t k_reply_ttl = 64;

// ICMPv4 types that are errors (Linux's icmp_pointers[].error): dest unreachable, source
// quench, redirect, time exceeded, parameter problem.
bool is_icmp4_error(std::uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool v4_is_multicast_or_broadcast(const std::uint8_t *a) {
  return (a[0] & 0xf0) == 0xe0 || (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff);
}

bool v4_is_unspecified(const std::uint8_t *a) {
  return a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0;
}

bool v6_is_unspecified(const std::uint8_t *a) {
  return std::all_of(a, a + 16, [](std::uint8_t b) { return b == 0; });
}

std::size_t build_v4(std::span<const std::uint8_t> orig, std::uint32_t mtu,
                     std::span<std::uint8_t> out) {
  const std::size_t header_len = static_cast<std::size_t>(orig[0] & 0x0f) * 4;
  if (orig.size() < k_ipv4_header || header_len < k_ipv4_header || header_len > orig.size())
    return 0;
  const std::uint16_t frag = load_be16(&orig[6]);
  if (!(frag & 0x4000) || (frag & 0x1fff) != 0) // DF required; first fragment only
    return 0;
  const std::uint8_t *src = &orig[12];
  const std::uint8_t *dst = &orig[16];
  if (v4_is_unspecified(src) || v4_is_multicast_or_broadcast(src) ||
      v4_is_multicast_or_broadcast(dst) || v4_is_unspecified(dst))
    return 0;
  if (orig[9] == k_proto_icmp && (orig.size() <= header_len || is_icmp4_error(orig[header_len])))
    return 0;

  // RFC 792 wants the IP header plus 8 bytes at least; RFC 1812 as much as fits in 576.
  const std::size_t fixed = k_ipv4_header + k_icmp_header;
  const std::size_t min_quote = std::min(orig.size(), header_len + 8);
  if (out.size() < fixed + min_quote)
    return 0;
  const std::size_t quote =
      std::min({orig.size(), k_icmp4_max_reply - fixed, out.size() - fixed});
  const std::size_t total = fixed + quote;

  std::uint8_t *ip = out.data();
  std::memset(ip, 0, fixed);
  ip[0] = 0x45;
  ip[1] = 0xc0; // precedence "internetwork control", as Linux sends its ICMP errors
  store_be16(&ip[2], static_cast<std::uint16_t>(total));
  ip[8] = k_reply_ttl;
  ip[9] = k_proto_icmp;
  std::memcpy(&ip[12], dst, 4); // from the original destination (see icmp.hpp)
  std::memcpy(&ip[16], src, 4);
  store_be16(&ip[10], checksum_finish(checksum_add(0, {ip, k_ipv4_header})));

  std::uint8_t *icmp = ip + k_ipv4_header;
  icmp[0] = 3; // destination unreachable
  icmp[1] = 4; // fragmentation needed and DF set
  store_be16(&icmp[6], static_cast<std::uint16_t>(std::min<std::uint32_t>(mtu, 0xffff)));
  std::memcpy(icmp + k_icmp_header, orig.data(), quote);
  store_be16(&icmp[2], checksum_finish(checksum_add(0, {icmp, k_icmp_header + quote})));
  return total;
}

// Walks the IPv6 extension headers to the upper-layer header. Returns false when no error may
// be sent: a non-first fragment, an ICMPv6 error, or headers truncated before that is known.
bool v6_may_answer(std::span<const std::uint8_t> orig) {
  std::uint8_t next = orig[6];
  std::size_t off = k_ipv6_header;
  for (int hops = 0; hops < 16; ++hops) {
    switch (next) {
    case 0:  // hop-by-hop options
    case 43: // routing
    case 60: // destination options
      if (off + 2 > orig.size())
        return false;
      next = orig[off];
      off += (static_cast<std::size_t>(orig[off + 1]) + 1) * 8;
      break;
    case 51: // authentication header: length in 4-byte units, minus 2
      if (off + 2 > orig.size())
        return false;
      next = orig[off];
      off += (static_cast<std::size_t>(orig[off + 1]) + 2) * 4;
      break;
    case 44: // fragment
      if (off + 8 > orig.size())
        return false;
      if ((load_be16(&orig[off + 2]) & 0xfff8) != 0)
        return false;
      next = orig[off];
      off += 8;
      break;
    case k_proto_icmpv6:
      // Types 0-127 are errors (RFC 4443 2.1).
      return off < orig.size() && orig[off] >= 128;
    default:
      return true; // TCP, UDP, ESP, no next header...: not an ICMP error
    }
  }
  return false; // an absurd chain: do not answer
}

std::size_t build_v6(std::span<const std::uint8_t> orig, std::uint32_t mtu,
                     std::span<std::uint8_t> out) {
  if (orig.size() < k_ipv6_header)
    return 0;
  const std::uint8_t *src = &orig[8];
  const std::uint8_t *dst = &orig[24];
  // The reply's source is orig's destination: it must be unicast (ff00::/8 is multicast).
  if (v6_is_unspecified(src) || src[0] == 0xff || dst[0] == 0xff || v6_is_unspecified(dst))
    return 0;
  if (!v6_may_answer(orig))
    return 0;

  const std::size_t fixed = k_ipv6_header + k_icmp_header;
  const std::size_t min_quote = std::min(orig.size(), k_ipv6_header + 8);
  if (out.size() < fixed + min_quote)
    return 0;
  const std::size_t quote =
      std::min({orig.size(), k_icmp6_max_reply - fixed, out.size() - fixed});
  const std::size_t icmp_len = k_icmp_header + quote;

  std::uint8_t *ip = out.data();
  std::memset(ip, 0, fixed);
  ip[0] = 0x60; // version 6, traffic class 0, flow label 0
  store_be16(&ip[4], static_cast<std::uint16_t>(icmp_len));
  ip[6] = k_proto_icmpv6;
  ip[7] = k_reply_ttl;
  std::memcpy(&ip[8], dst, 16); // from the original destination (see icmp.hpp)
  std::memcpy(&ip[24], src, 16);

  std::uint8_t *icmp = ip + k_ipv6_header;
  icmp[0] = 2; // packet too big
  icmp[1] = 0;
  store_be32(&icmp[4], mtu);
  std::memcpy(icmp + k_icmp_header, orig.data(), quote);

  // RFC 8200 8.1 pseudo-header: source, destination, upper-layer length (32 bits),
  // three zero bytes and the next header value.
  std::uint8_t tail[8] = {};
  store_be32(&tail[0], static_cast<std::uint32_t>(icmp_len));
  tail[7] = k_proto_icmpv6;
  std::uint32_t sum = checksum_add(0, {&ip[8], 32});
  sum = checksum_add(sum, tail);
  sum = checksum_add(sum, {icmp, icmp_len});
  store_be16(&icmp[2], checksum_finish(sum));
  return k_ipv6_header + icmp_len;
}

} // namespace

std::size_t build_packet_too_big(std::span<const std::uint8_t> orig, std::uint32_t mtu,
                                 std::span<std::uint8_t> out) {
  switch (ip_version(orig)) {
  case 4:
    return build_v4(orig, mtu, out);
  case 6:
    return build_v6(orig, mtu, out);
  default:
    return 0;
  }
}

} // namespace fouctl::relay
