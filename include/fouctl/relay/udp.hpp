#pragma once
// The relay's UDP side: socket tuning for the integrator, and the peer address helpers the
// engine uses (matching a datagram's source, printing an endpoint, probing the path MTU).
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::relay {

// Socket buffers the relay asks for: 4 MiB holds a burst of ~2800 full-size packets, enough
// to ride out a scheduling hiccup at several Gbit/s.
inline constexpr int k_udp_buffer_bytes = 4 << 20;

struct UdpTuning {
  int rcvbuf = 0;     // SO_RCVBUF as the kernel reports it (twice the usable payload)
  int sndbuf = 0;     // SO_SNDBUF likewise
  bool forced = false; // true when SO_*BUFFORCE worked (CAP_NET_ADMIN); otherwise the sizes
                       // are capped by net.core.rmem_max / wmem_max
};

// Prepares the relay's UDP socket; call once after socket(), before or after bind():
//   - SO_RCVBUFFORCE / SO_SNDBUFFORCE to k_udp_buffer_bytes, falling back to SO_RCVBUF /
//     SO_SNDBUF (capped by net.core.rmem_max / wmem_max) without CAP_NET_ADMIN;
//   - IP_MTU_DISCOVER = IP_PMTUDISC_DO (IPV6_MTU_DISCOVER for AF_INET6): outer packets carry
//     DF like the kernel's ipip tunnel with pmtudisc (its default), and a packet over the path
//     MTU fails with EMSGSIZE, which the engine answers with an ICMP "too big" into the TUN
//     instead of letting the outer datagram be fragmented.
// Fails only if a socket option the kernel always supports is refused (e.g. not a socket).
// Callers may log the result: small buffers without privileges cost throughput, not function.
util::Result<UdpTuning> tune_udp_socket(int fd);

// True when `from` is the peer: same family and address, and same port if `match_port`.
bool same_peer(const sockaddr_storage &from, const sockaddr_storage &peer, bool match_port);

// "10.0.0.2:5555" or "[2001:db8::1]:5555"; "?" for another family.
std::string format_endpoint(const sockaddr_storage &addr);

// Path MTU towards `peer`, read with IP_MTU (IPV6_MTU) on `probe_fd`, a spare UDP socket of
// the peer's family that this call (re)connects to the peer so that the kernel looks up the
// current route and its PMTU exceptions. The relay's own socket stays unconnected: kernel
// FOU's per-flow source ports must still be accepted. nullopt on any failure.
std::optional<std::uint32_t> probe_path_mtu(int probe_fd, const sockaddr_storage &peer,
                                            socklen_t peer_len);

} // namespace fouctl::relay
