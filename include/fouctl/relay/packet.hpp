#pragma once
// Pure packet functions of the relay: inner-packet validation, UDP-side framing and the
// Internet checksum. No syscalls, no allocation: the engine calls them once per packet.
//
// Wire format (kernel FOU "direct"): a UDP payload is exactly one bare IPv4 or IPv6 packet.
// Framing::tun_pi instead prefixes each packet with the 4-byte struct tun_pi that socat's TUN
// address sends when it is used without `iff-no-pi`; Framing::gue with the 4-byte GUE header
// of a kernel `ip fou add port P gue` port and an ipip/sit/ip6tnl device with `encap gue`.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "fouctl/relay/counters.hpp"

namespace fouctl::relay {

enum class Framing {
  raw,    // FOU direct: the payload is the IP packet (kernel FOU, socat with iff-no-pi)
  tun_pi, // struct tun_pi { u16 flags; be16 proto; } then the IP packet (socat's default)
  gue,    // GUE version 0 header { ver/C/hlen; proto; be16 flags; } then the IP packet
};

inline constexpr std::size_t k_tun_pi_len = 4;
inline constexpr std::uint16_t k_eth_p_ip = 0x0800;   // ETH_P_IP
inline constexpr std::uint16_t k_eth_p_ipv6 = 0x86DD; // ETH_P_IPV6

inline constexpr std::size_t k_gue_len = 4;            // struct guehdr without optional fields
inline constexpr std::uint8_t k_ipproto_ipip = 4;      // IPPROTO_IPIP: GUE proto of IPv4
inline constexpr std::uint8_t k_ipproto_ipv6 = 41;     // IPPROTO_IPV6: GUE proto of IPv6

// Bytes the framing adds in front of each inner packet in a UDP payload (what the relay
// sends; a received GUE header may be longer, see strip_gue).
constexpr std::size_t framing_overhead(Framing f) {
  switch (f) {
  case Framing::tun_pi:
    return k_tun_pi_len;
  case Framing::gue:
    return k_gue_len;
  case Framing::raw:
    break;
  }
  return 0;
}
// The largest framing_overhead: the headroom a sender keeps in front of each packet.
inline constexpr std::size_t k_max_framing_overhead = 4;
static_assert(framing_overhead(Framing::tun_pi) <= k_max_framing_overhead &&
              framing_overhead(Framing::gue) <= k_max_framing_overhead);

// The IP version nibble of the first byte (4, 6, or anything else); 0 for an empty packet.
inline unsigned ip_version(std::span<const std::uint8_t> pkt) {
  return pkt.empty() ? 0 : pkt[0] >> 4;
}

// Accepts exactly one complete IP packet, as the kernel's TUN or FOU receive path expects:
//   IPv4: len >= 20, IHL >= 5, IHL*4 <= len, total length == len;
//   IPv6: len >= 40, 40 + payload length == len (jumbograms, payload length 0, are refused).
// Returns nullopt when the packet is acceptable, else DropReason::malformed.
// Checksums are not verified: the receiving kernel does that.
std::optional<DropReason> check_inner_packet(std::span<const std::uint8_t> pkt);

// The tun_pi header for `pkt`: flags 0 and the protocol from its IP version nibble;
// nullopt when the version is neither 4 nor 6.
std::optional<std::array<std::uint8_t, k_tun_pi_len>>
tun_pi_header(std::span<const std::uint8_t> pkt);

// Writes the tun_pi header followed by `pkt` into `out`. Returns the length written, or 0 when
// `out` is too small or the version is neither 4 nor 6.
std::size_t add_tun_pi(std::span<const std::uint8_t> pkt, std::span<std::uint8_t> out);

// The packet after a tun_pi header. nullopt when the payload is shorter than the header or the
// header's protocol does not match the packet's IP version (ETH_P_IP for 4, ETH_P_IPV6 for 6).
// The flags are ignored (socat sends 0; TUN_PKT_STRIP would also make the length check fail).
std::optional<std::span<const std::uint8_t>> strip_tun_pi(std::span<const std::uint8_t> payload);

// The GUE header the kernel sends for `pkt` (gue_build_header without remote checksum
// offload): version 0, C bit 0, hlen 0; the inner protocol (IPPROTO_IPIP for IP version 4,
// IPPROTO_IPV6 for 6); flags 0. nullopt when the version is neither 4 nor 6.
std::optional<std::array<std::uint8_t, k_gue_len>> gue_header(std::span<const std::uint8_t> pkt);

// Writes the GUE header followed by `pkt` into `out`. Returns the length written, or 0 when
// `out` is too small or the version is neither 4 nor 6.
std::size_t add_gue(std::span<const std::uint8_t> pkt, std::span<std::uint8_t> out);

// The packet in a GUE payload, accepted as the kernel's GUE receive path (gue_udp_recv)
// accepts it; nullopt otherwise. The payload has at least 4 bytes, and by the version in
// the top two bits of byte 0:
//   1: the payload is a bare IPv4 or IPv6 packet (its version nibble 4 or 6, whose top bits
//      are 01): returned whole. Kernels accept this on any GUE port.
//   0: the control bit (0x20) is clear (the kernel drops control messages too); the header,
//      4 + hlen*4 bytes (hlen = byte 0 & 0x1f), fits in the payload; the flags (bytes 2-3)
//      are 0; the proto byte names the inner packet's version (IPPROTO_IPIP for 4,
//      IPPROTO_IPV6 for 6). With flags 0 no optional field is defined, so hlen words of
//      unknown meaning are skipped, as the kernel skips them (validate_gue_flags only checks
//      that the fields the flags announce fit in hlen). Nonzero flags are refused: the only
//      one the kernel knows (GUE_FLAG_PRIV, for remote checksum offload) is sent only by a
//      device with `encap-remcsum`, which fouctl never configures, and unknown ones make the
//      kernel drop the packet as well.
//   2, 3: undefined, refused.
// The inner packet itself is not checked here (check_inner_packet does that).
std::optional<std::span<const std::uint8_t>> strip_gue(std::span<const std::uint8_t> payload);

// The framing header of `f` for `pkt` written into `hdr` (framing_overhead(f) bytes, nothing
// for raw): the one place a sender builds it. Returns false when `hdr` is shorter than that
// or the framing needs an IP version and `pkt` is neither version 4 nor 6.
bool write_framing(Framing f, std::span<const std::uint8_t> pkt, std::span<std::uint8_t> hdr);

// The inner packet of a UDP payload in framing `f`: the payload itself for raw, else
// strip_tun_pi or strip_gue. nullopt when the framing header is bad.
std::optional<std::span<const std::uint8_t>> strip_framing(Framing f,
                                                           std::span<const std::uint8_t> payload);

// One's-complement sum (RFC 1071) of `data` added to `sum`, not folded. Call repeatedly to
// cover a pseudo-header and a message; an odd length is padded with a zero byte, so only the
// last piece may have an odd length.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data);
// Folds a sum to 16 bits and complements it: the value to store (big-endian) in a checksum
// field. Summing a message that contains a correct checksum folds to 0.
std::uint16_t checksum_finish(std::uint32_t sum);

// Completes a TCP or UDP checksum that a Linux sender left for hardware to finish
// (CHECKSUM_PARTIAL with tx offload on: the field holds only the folded sum of the
// pseudo-header, the value a NIC starts from) in `pkt`, an IPv4 packet that is not a
// fragment or an IPv6 packet whose next header is TCP or UDP, already accepted by
// check_inner_packet. Only that exact value is replaced by the real checksum: a correct
// checksum that happens to equal it is recomputed to itself, any other wrong one is left
// for the receiving stack to drop. A corrupted packet whose field happens to hold that
// value (1 in 65536) is passed on as if intact, as a NIC would have done. Returns true if
// it wrote a checksum.
bool complete_partial_checksum(std::span<std::uint8_t> pkt);

// Cuts an IPv4 packet without DF into fragments of at most `mtu` bytes, as a router does
// (RFC 791): the first carries all options, later ones only those with the "copied" bit;
// data ends on 8-byte boundaries except in the last piece; a fragment of a fragment keeps
// the original's offset and MF bit. Used for packets a kernel tunnel would fragment: inner
// IPv4 without DF that does not fit the path.
class Ipv4Fragmenter {
public:
  // nullopt when `pkt` is not a whole IPv4 packet (check_inner_packet's rules), has DF
  // set, already fits `mtu`, has options that do not parse, or `mtu` leaves no room for 8
  // data bytes after a header.
  static std::optional<Ipv4Fragmenter> start(std::span<const std::uint8_t> pkt, std::uint32_t mtu);
  // Writes the next fragment into `out` (at least `mtu` bytes) and returns its length; 0
  // when every fragment was written (or `out` is too small). `pkt` must stay valid.
  std::size_t next(std::span<std::uint8_t> out);

private:
  Ipv4Fragmenter() = default;
  std::span<const std::uint8_t> m_pkt;
  std::size_t m_hlen = 0;
  std::array<std::uint8_t, 40> m_later_options{};
  std::size_t m_later_options_len = 0;
  std::size_t m_mtu = 0, m_first_room = 0, m_later_room = 0;
  std::size_t m_done = 0; // data bytes already written
};

// Big-endian loads and stores on byte spans (the caller checks the bounds).
inline std::uint16_t load_be16(const std::uint8_t *p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline void store_be16(std::uint8_t *p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t *p, std::uint32_t v) {
  store_be16(p, static_cast<std::uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<std::uint16_t>(v));
}

} // namespace fouctl::relay
