#include "fouctl/relay/packet.hpp"

#include <cstring>

namespace fouctl::relay {

namespace {

constexpr std::size_t k_ipv4_min_header = 20;
constexpr std::size_t k_ipv6_header = 40;

std::optional<std::uint16_t> eth_proto_for(unsigned version) {
  if (version == 4)
    return k_eth_p_ip;
  if (version == 6)
    return k_eth_p_ipv6;
  return std::nullopt;
}

std::optional<std::uint8_t> ipproto_for(unsigned version) {
  if (version == 4)
    return k_ipproto_ipip;
  if (version == 6)
    return k_ipproto_ipv6;
  return std::nullopt;
}

// Byte 0 of a GUE header: version (2 bits), control (1), hlen (5, in 32-bit words).
constexpr unsigned gue_version(std::uint8_t b0) { return b0 >> 6; }
constexpr std::uint8_t k_gue_control = 0x20;
constexpr std::uint8_t k_gue_hlen_mask = 0x1f;

// `hdr` then `pkt` into `out`; 0 when `out` is too small.
template <std::size_t N>
std::size_t prepend(const std::array<std::uint8_t, N> &hdr, std::span<const std::uint8_t> pkt,
                    std::span<std::uint8_t> out) {
  if (out.size() < N + pkt.size())
    return 0;
  std::memcpy(out.data(), hdr.data(), N);
  if (!pkt.empty())
    std::memcpy(out.data() + N, pkt.data(), pkt.size());
  return N + pkt.size();
}

} // namespace

std::optional<DropReason> check_inner_packet(std::span<const std::uint8_t> pkt) {
  const std::size_t len = pkt.size();
  switch (ip_version(pkt)) {
  case 4: {
    if (len < k_ipv4_min_header)
      return DropReason::malformed;
    const std::size_t header_len = static_cast<std::size_t>(pkt[0] & 0x0f) * 4;
    if (header_len < k_ipv4_min_header || header_len > len)
      return DropReason::malformed;
    // Exactly one packet: trailing bytes would be passed up by the kernel's FOU path as
    // garbage after the packet, and a short datagram is a truncated packet.
    if (load_be16(&pkt[2]) != len)
      return DropReason::malformed;
    return std::nullopt;
  }
  case 6:
    if (len < k_ipv6_header || k_ipv6_header + load_be16(&pkt[4]) != len)
      return DropReason::malformed;
    return std::nullopt;
  default:
    return DropReason::malformed;
  }
}

std::optional<std::array<std::uint8_t, k_tun_pi_len>>
tun_pi_header(std::span<const std::uint8_t> pkt) {
  auto proto = eth_proto_for(ip_version(pkt));
  if (!proto)
    return std::nullopt;
  std::array<std::uint8_t, k_tun_pi_len> hdr{}; // flags 0 (host order; 0 either way)
  store_be16(&hdr[2], *proto);                  // proto is big-endian on the wire
  return hdr;
}

std::size_t add_tun_pi(std::span<const std::uint8_t> pkt, std::span<std::uint8_t> out) {
  auto hdr = tun_pi_header(pkt);
  return hdr ? prepend(*hdr, pkt, out) : 0;
}

std::optional<std::span<const std::uint8_t>> strip_tun_pi(std::span<const std::uint8_t> payload) {
  if (payload.size() < k_tun_pi_len)
    return std::nullopt;
  auto pkt = payload.subspan(k_tun_pi_len);
  auto expected = eth_proto_for(ip_version(pkt));
  if (!expected || load_be16(&payload[2]) != *expected)
    return std::nullopt;
  return pkt;
}

std::optional<std::array<std::uint8_t, k_gue_len>> gue_header(std::span<const std::uint8_t> pkt) {
  auto proto = ipproto_for(ip_version(pkt));
  if (!proto)
    return std::nullopt;
  // Byte 0: version 0, C 0, hlen 0; flags 0 (big-endian on the wire, 0 either way).
  return std::array<std::uint8_t, k_gue_len>{0, *proto, 0, 0};
}

std::size_t add_gue(std::span<const std::uint8_t> pkt, std::span<std::uint8_t> out) {
  auto hdr = gue_header(pkt);
  return hdr ? prepend(*hdr, pkt, out) : 0;
}

std::optional<std::span<const std::uint8_t>> strip_gue(std::span<const std::uint8_t> payload) {
  if (payload.size() < k_gue_len) // the kernel pulls a whole guehdr before looking at it
    return std::nullopt;
  switch (gue_version(payload[0])) {
  case 0:
    break;
  case 1: // direct IP: the top bits of the IP version nibble (4 = 0100, 6 = 0110) are 01
    if (!ipproto_for(ip_version(payload)))
      return std::nullopt;
    return payload;
  default:
    return std::nullopt;
  }
  if (payload[0] & k_gue_control)
    return std::nullopt;
  const std::size_t words = payload[0] & k_gue_hlen_mask; // optional fields, 32-bit words
  const std::size_t header_len = k_gue_len + words * 4;
  if (header_len > payload.size() || load_be16(&payload[2]) != 0)
    return std::nullopt;
  auto pkt = payload.subspan(header_len);
  auto expected = ipproto_for(ip_version(pkt));
  if (!expected || payload[1] != *expected)
    return std::nullopt;
  return pkt;
}

bool write_framing(Framing f, std::span<const std::uint8_t> pkt, std::span<std::uint8_t> hdr) {
  const std::size_t len = framing_overhead(f);
  if (hdr.size() < len)
    return false;
  std::optional<std::array<std::uint8_t, k_max_framing_overhead>> bytes; // both are 4 bytes
  switch (f) {
  case Framing::raw:
    return true;
  case Framing::tun_pi:
    bytes = tun_pi_header(pkt);
    break;
  case Framing::gue:
    bytes = gue_header(pkt);
    break;
  }
  if (!bytes)
    return false;
  std::memcpy(hdr.data(), bytes->data(), len);
  return true;
}

std::optional<std::span<const std::uint8_t>> strip_framing(Framing f,
                                                           std::span<const std::uint8_t> payload) {
  switch (f) {
  case Framing::tun_pi:
    return strip_tun_pi(payload);
  case Framing::gue:
    return strip_gue(payload);
  case Framing::raw:
    break;
  }
  return payload;
}

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data) {
  // A 64-bit accumulator cannot overflow for any packet; fold once at the end.
  std::uint64_t acc = sum;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    acc += load_be16(&data[i]);
  if (i < data.size())
    acc += static_cast<std::uint32_t>(data[i]) << 8;
  while (acc >> 32)
    acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffff) + (acc >> 16); // < 2^17: more pieces may still be added
  return static_cast<std::uint32_t>(acc);
}

std::uint16_t checksum_finish(std::uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

} // namespace fouctl::relay
