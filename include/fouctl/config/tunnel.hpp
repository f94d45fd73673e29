#pragma once
// The model of one tunnel, shared by the command line and (later) the config file.
// Pure: no syscalls, so every rule here is unit-tested.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fouctl/util/ip.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::config {

// bpf: FOU done by BPF programs (backend/bpf.hpp), for `fouctl up` only so far (not yet
// chosen by automatic, nor taken by config files).
enum class Mode { automatic, kernel, userspace, bpf };

const char *to_string(Mode m);
util::Result<Mode> parse_mode(const std::string &s);

// How the relay frames packets in UDP: raw = FOU direct (kernel FOU, socat iff-no-pi);
// tun_pi = socat's default TUN framing (a 4-byte struct tun_pi first).
enum class Framing { raw, tun_pi };

const char *to_string(Framing f);
util::Result<Framing> parse_framing(const std::string &s);

// What goes between the UDP header and the inner packet: nothing (FOU direct: the
// receive port's protocol says what is inside), or a 4-byte GUE header naming it.
enum class Encap { fou, gue };

const char *to_string(Encap e);
util::Result<Encap> parse_encap(const std::string &s);
// Bytes the encapsulation adds after the UDP header: 0 or 4.
constexpr std::uint32_t encap_overhead(Encap e) { return e == Encap::gue ? 4 : 0; }

// Transmit checksum offload of a kernel tunnel's device (`ethtool -K DEV tx on|off`).
enum class Offload { automatic, on, off };

const char *to_string(Offload o);
util::Result<Offload> parse_offload(const std::string &s);

// The seed's setup: the link's local end is on this host's loopback.
constexpr const char *k_default_peer = "127.0.0.1";
constexpr std::uint32_t k_default_mtu = 1472; // 1500 - 20 (IPv4) - 8 (UDP), as in the seed
constexpr std::uint32_t k_min_mtu = 68;       // RFC 791 minimum; the kernel's ipip min_mtu
constexpr std::uint32_t k_max_mtu = 65507;    // 65535 - 20 - 8: the largest UDP payload over IPv4

struct TunnelSpec {
  std::string name;
  std::uint16_t rx_port = 0;
  std::uint16_t tx_port = 0;
  std::vector<util::Prefix> routes;    // REMOTE on the command line
  std::uint32_t mtu = k_default_mtu;
  // No MTU was given: `mtu` is the default until the backend resolves it from the underlay
  // (resolve_mtu), and the device's mark says so, so that status can tell.
  bool mtu_auto = false;
  util::IpAddr peer;                   // underlay address of the other end
  util::IpAddr local;                  // underlay source; unset = chosen by fouctl/kernel
  std::vector<util::Prefix> addresses; // addresses of the tunnel device
  Mode mode = Mode::automatic;
  Encap encap = Encap::fou;
  // Kernel only: automatic resolves through tx_checksum_offload().
  Offload offload = Offload::automatic;
  // Relay only:
  Framing framing = Framing::raw;
  std::string tun_device;       // attach to this existing persistent TUN device
  // --bind-peer (alias --peer-port-fixed): accept only datagrams from the peer's address and
  // TX_PORT, and send from RX_PORT so that a bound peer accepts ours. Kernel: the FOU port
  // is bound to (local if given, peer, peer port TX_PORT) and the device's encap-sport is
  // RX_PORT.
  // Relay: the same filter on its socket, which sends from RX_PORT anyway.
  bool peer_port_fixed = false;
  bool operator==(const TunnelSpec &) const = default;
};

// Whether a kernel tunnel's device keeps tx checksum offload: the one rule for `auto`.
// With it on, the kernel leaves each inner TCP/UDP checksum for hardware to finish
// (CHECKSUM_PARTIAL); on veth, virtio or loopback nothing does, so a program that reads
// the FOU payload on the way gets wrong checksums. The peer's kernel and fouctl's relay
// cope (the relay completes them); the seed's custom link, a userspace program on this
// host's loopback, does not. So: off for a loopback peer, on otherwise, unless asked.
bool tx_checksum_offload(const TunnelSpec &spec);

// The device name fouctl uses when none is given: stable, derived from the receive port.
std::string default_name(std::uint16_t rx_port);
// Bytes in front of the inner packet on the wire: outer IP header (20 or 40), UDP (8),
// GUE (4) when used.
inline std::uint32_t outer_overhead(const util::IpAddr &peer, Encap e) {
  return (peer.family == 6 ? 40 : 20) + 8 + encap_overhead(e);
}
// The MTU when none is given and the underlay tells nothing (a loopback peer, as in the
// seed): a 1500-byte link less the outer headers. 1472 for FOU over IPv4.
inline std::uint32_t default_mtu(const util::IpAddr &peer, Encap e = Encap::fou) {
  return 1500 - outer_overhead(peer, e);
}

// Rejects names the kernel would refuse or that fouctl could confuse with a port number.
util::Status validate_name(const std::string &name);
// "1".."65535", strictly decimal.
util::Result<std::uint16_t> parse_port(const std::string &text, const char *what);
util::Result<std::uint32_t> parse_mtu(const std::string &text);

// Cross-field checks of a complete spec (address families, MTU range, loopback rules).
util::Status validate(const TunnelSpec &spec);

} // namespace fouctl::config
