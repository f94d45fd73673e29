#pragma once
// ICMP "packet too big" errors that the relay writes back into the TUN for packets it cannot
// carry, so that the sender's path MTU discovery shrinks its packets instead of losing them.
// This is what the kernel's ipip/sit tunnel does for a packet over the tunnel MTU.
#include <cstddef>
#include <cstdint>
#include <span>

namespace fouctl::relay {

// Largest reply for each family: RFC 1812 4.3.2.3 (IPv4, "not exceeding 576 bytes") and
// RFC 4443 2.4(c) (IPv6, "without exceeding the minimum IPv6 MTU").
inline constexpr std::size_t k_icmp4_max_reply = 576;
inline constexpr std::size_t k_icmp6_max_reply = 1280;
// A buffer this large always suffices for build_packet_too_big.
inline constexpr std::size_t k_icmp_max_reply = k_icmp6_max_reply;

// Builds into `out` the error for `orig`, a packet read from the TUN that cannot be sent
// because it is longer than `mtu`:
//   IPv4: ICMP type 3 code 4 "fragmentation needed and DF set", next-hop MTU = mtu
//         (clamped to 65535), quoting as much of `orig` as fits in 576 bytes;
//   IPv6: ICMPv6 type 2 "packet too big", MTU = mtu, quoting as much as fits in 1280 bytes.
// IPv4 header checksum, ICMP checksum and ICMPv6 checksum (with the pseudo-header) are set.
//
// Addresses: source = orig's destination, destination = orig's source, as a router on the
// path would answer. The destination's address is chosen over the TUN's own address because
// it routes back through the tunnel, so reverse-path filtering accepts the reply, and because
// the sender keys its path MTU cache on that destination anyway.
//
// Returns the length written, or 0 when no reply may be sent:
//   - orig is not a well-formed IPv4/IPv6 header, or `out` cannot hold the minimal reply;
//   - orig is itself an ICMP/ICMPv6 error (never answer an error with an error), or its
//     headers are truncated so that this cannot be told;
//   - orig is a fragment other than the first (IPv4 offset != 0, IPv6 fragment offset != 0);
//   - IPv4 without DF: such a packet may be fragmented, so "fragmentation needed" would be
//     wrong. The TUN's MTU makes the kernel fragment before the relay reads a packet, so a
//     non-DF packet over the MTU only appears on misconfiguration or a shrunken path MTU;
//     the engine then counts it too_big and drops it;
//   - orig's source is unspecified, multicast or broadcast, or its destination is multicast
//     or broadcast (the reply's source must be a unicast address; RFC 1122 3.2.2, RFC 4443 2.2).
std::size_t build_packet_too_big(std::span<const std::uint8_t> orig, std::uint32_t mtu,
                                 std::span<std::uint8_t> out);

} // namespace fouctl::relay
