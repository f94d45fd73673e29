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
  if (out.size() < k_tun_pi_len + pkt.size())
    return 0;
  auto hdr = tun_pi_header(pkt);
  if (!hdr)
    return 0;
  std::memcpy(out.data(), hdr->data(), k_tun_pi_len);
  if (!pkt.empty())
    std::memcpy(out.data() + k_tun_pi_len, pkt.data(), pkt.size());
  return k_tun_pi_len + pkt.size();
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
