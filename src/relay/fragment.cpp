// IPv4 fragmentation for the relay (RFC 791 section 3.2, as a router does it): an inner
// packet without DF that does not fit the path is cut, the way a kernel ipip tunnel's
// stack would, instead of being dropped.
#include <algorithm>
#include <cstring>

#include "fouctl/relay/packet.hpp"

namespace fouctl::relay {

namespace {

constexpr std::uint16_t k_flag_df = 0x4000;
constexpr std::uint16_t k_flag_mf = 0x2000;
constexpr std::uint16_t k_offset_mask = 0x1fff;
constexpr std::size_t k_base_header = 20;

// The options a non-first fragment carries: those with the "copied" bit (0x80 in the type),
// padded with end-of-list bytes to a 4-byte multiple. False when the options do not parse.
bool copied_options(std::span<const std::uint8_t> options, std::array<std::uint8_t, 40> &out,
                    std::size_t &out_len) {
  out_len = 0;
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t type = options[i];
    if (type == 0) // end of list
      break;
    if (type == 1) { // no-operation: a single byte, never copied
      ++i;
      continue;
    }
    if (i + 1 >= options.size())
      return false;
    const std::size_t len = options[i + 1];
    if (len < 2 || len > options.size() - i)
      return false;
    if ((type & 0x80) != 0) {
      std::memcpy(out.data() + out_len, options.data() + i, len);
      out_len += len;
    }
    i += len;
  }
  while (out_len % 4 != 0)
    out[out_len++] = 0;
  return true;
}

} // namespace

std::optional<Ipv4Fragmenter> Ipv4Fragmenter::start(std::span<const std::uint8_t> pkt,
                                                     std::uint32_t mtu) {
  if (pkt.size() < k_base_header || ip_version(pkt) != 4)
    return std::nullopt;
  const std::size_t hlen = static_cast<std::size_t>(pkt[0] & 0x0f) * 4;
  const std::uint16_t frag = load_be16(&pkt[6]);
  if (hlen < k_base_header || hlen > pkt.size() || load_be16(&pkt[2]) != pkt.size() ||
      (frag & k_flag_df) != 0 || pkt.size() <= mtu)
    return std::nullopt;
  Ipv4Fragmenter f;
  f.m_pkt = pkt;
  f.m_hlen = hlen;
  if (!copied_options(pkt.subspan(k_base_header, hlen - k_base_header), f.m_later_options,
                      f.m_later_options_len))
    return std::nullopt;
  // Every fragment must carry at least 8 bytes of data after its header.
  if (mtu < hlen + 8 || mtu < k_base_header + f.m_later_options_len + 8)
    return std::nullopt;
  // The last piece may end anywhere; every other one ends on an 8-byte boundary.
  const std::size_t data = pkt.size() - hlen;
  const std::size_t first_room = (mtu - hlen) & ~std::size_t{7};
  const std::size_t later_room = (mtu - k_base_header - f.m_later_options_len) & ~std::size_t{7};
  // The offset field counts 8-byte units up to 8191: the data must end within 65528 + 8.
  const std::size_t base = static_cast<std::size_t>(frag & k_offset_mask) * 8;
  if (base + data > 0xffff)
    return std::nullopt;
  f.m_mtu = mtu;
  f.m_first_room = first_room;
  f.m_later_room = later_room;
  return f;
}

std::size_t Ipv4Fragmenter::next(std::span<std::uint8_t> out) {
  const std::size_t data = m_pkt.size() - m_hlen;
  if (m_done >= data || out.size() < m_mtu)
    return 0;
  const bool first = m_done == 0;
  const std::size_t hlen = first ? m_hlen : k_base_header + m_later_options_len;
  const std::size_t room = first ? m_first_room : m_later_room;
  const std::size_t take = std::min(room, data - m_done);
  const bool last = m_done + take == data;

  // Header: the original's first 20 bytes, then the options this fragment carries.
  std::memcpy(out.data(), m_pkt.data(), k_base_header);
  if (first)
    std::memcpy(out.data() + k_base_header, m_pkt.data() + k_base_header, m_hlen - k_base_header);
  else
    std::memcpy(out.data() + k_base_header, m_later_options.data(), m_later_options_len);
  out[0] = static_cast<std::uint8_t>(0x40 | (hlen / 4));
  store_be16(&out[2], static_cast<std::uint16_t>(hlen + take));
  const std::uint16_t orig = load_be16(&m_pkt[6]);
  // A fragment of a fragment: offsets continue from the original's, and only the piece
  // that ends where the original ended keeps its MF bit.
  const std::size_t offset = static_cast<std::size_t>(orig & k_offset_mask) + m_done / 8;
  std::uint16_t flags = orig & static_cast<std::uint16_t>(~(k_flag_mf | k_offset_mask));
  if (!last || (orig & k_flag_mf) != 0)
    flags |= k_flag_mf;
  store_be16(&out[6], static_cast<std::uint16_t>(flags | offset));
  store_be16(&out[10], 0);
  store_be16(&out[10], checksum_finish(checksum_add(0, {out.data(), hlen})));
  std::memcpy(out.data() + hlen, m_pkt.data() + m_hlen + m_done, take);
  m_done += take;
  return hlen + take;
}

} // namespace fouctl::relay
