// Finishing checksums that a Linux sender left for a NIC (see packet.hpp). With tx
// checksum offload on, the kernel stores in the TCP/UDP checksum field only the folded
// one's-complement sum of the pseudo-header (tcp_v4_send_check, udp4_hwcsum and their IPv6
// twins store ~csum_*_magic(..., 0)) and expects hardware to add the segment. Kernel FOU
// encapsulates such packets as they are; on a path without such hardware (veth, loopback,
// virtio between VMs) the relay is where that work can still be done.
#include "fouctl/relay/packet.hpp"

namespace fouctl::relay {

namespace {

constexpr std::uint8_t k_tcp = 6, k_udp = 17;

std::uint16_t fold(std::uint32_t sum) { return static_cast<std::uint16_t>(~checksum_finish(sum)); }

// The checksum field's offset within the TCP or UDP header, if `l4` can hold that header.
std::optional<std::size_t> csum_offset(std::uint8_t proto, std::size_t l4_len) {
  if (proto == k_tcp && l4_len >= 20)
    return 16;
  if (proto == k_udp && l4_len >= 8)
    return 6;
  return std::nullopt;
}

bool complete(std::span<std::uint8_t> l4, std::uint8_t proto, std::uint32_t pseudo) {
  auto at = csum_offset(proto, l4.size());
  if (!at)
    return false;
  std::uint8_t *field = &l4[*at];
  const std::uint16_t have = load_be16(field);
  // UDP over IPv4 may carry no checksum at all (0); the pseudo-header sum is never 0.
  if (have == 0 || have != fold(pseudo))
    return false;
  store_be16(field, 0);
  std::uint16_t sum = checksum_finish(checksum_add(pseudo, l4));
  if (proto == k_udp && sum == 0)
    sum = 0xffff; // RFC 768: a computed 0 is sent as all ones
  store_be16(field, sum);
  return true;
}

} // namespace

bool complete_partial_checksum(std::span<std::uint8_t> pkt) {
  std::uint8_t len_be[2];
  if (ip_version(pkt) == 4) {
    const std::size_t ihl = (pkt[0] & 0x0f) * 4u;
    // A fragment holds part of the segment only (MF set, or a non-zero offset).
    if ((load_be16(&pkt[6]) & 0x3fff) != 0)
      return false;
    const std::uint8_t proto = pkt[9];
    const auto l4 = pkt.subspan(ihl);
    // Pseudo-header: source, destination, zero, protocol, transport length.
    std::uint32_t pseudo = checksum_add(0, pkt.subspan(12, 8));
    store_be16(len_be, static_cast<std::uint16_t>(l4.size()));
    pseudo += proto;
    pseudo = checksum_add(pseudo, len_be);
    return complete(l4, proto, pseudo);
  }
  if (ip_version(pkt) == 6) {
    const std::uint8_t proto = pkt[6]; // extension headers are left alone
    const auto l4 = pkt.subspan(40);
    std::uint32_t pseudo = checksum_add(0, pkt.subspan(8, 32));
    store_be16(len_be, static_cast<std::uint16_t>(l4.size())); // upper 16 bits are 0 here
    pseudo += proto;
    pseudo = checksum_add(pseudo, len_be);
    return complete(l4, proto, pseudo);
  }
  return false;
}

} // namespace fouctl::relay
