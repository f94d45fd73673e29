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

enum class Mode { automatic, kernel, userspace };

const char *to_string(Mode m);
util::Result<Mode> parse_mode(const std::string &s);

// How the relay frames packets in UDP: raw = FOU direct (kernel FOU, socat iff-no-pi);
// tun_pi = socat's default TUN framing (a 4-byte struct tun_pi first).
enum class Framing { raw, tun_pi };

const char *to_string(Framing f);
util::Result<Framing> parse_framing(const std::string &s);

// Transmit checksum offload of a kernel tunnel's device (`ethtool -K DEV tx on|off`).
enum class Offload { automatic, on, off };

const char *to_string(Offload o);
util::Result<Offload> parse_offload(const std::string &s);

// The seed's setup: the link's local end is on this host's loopback.
constexpr const char *k_default_peer = "127.0.0.1";
constexpr std::uint32_t k_default_mtu = 1472; // 1500 - 20 (IPv4) - 8 (UDP), as in the seed
constexpr std::uint32_t k_default_mtu6 = 1452; // 1500 - 40 (IPv6) - 8 (UDP)
constexpr std::uint32_t k_min_mtu = 68;       // RFC 791 minimum; the kernel's ipip min_mtu
constexpr std::uint32_t k_max_mtu = 65507;    // 65535 - 20 - 8: the largest UDP payload over IPv4

struct TunnelSpec {
  std::string name;
  std::uint16_t rx_port = 0;
  std::uint16_t tx_port = 0;
  std::vector<util::Prefix> routes;    // REMOTE on the command line
  std::uint32_t mtu = k_default_mtu;
  util::IpAddr peer;                   // underlay address of the other end
  util::IpAddr local;                  // underlay source; unset = chosen by fouctl/kernel
  std::vector<util::Prefix> addresses; // addresses of the tunnel device
  Mode mode = Mode::automatic;
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
// The MTU when none is given: 1500 less the outer headers of the peer's family.
inline std::uint32_t default_mtu(const util::IpAddr &peer) {
  return peer.family == 6 ? k_default_mtu6 : k_default_mtu;
}

// Rejects names the kernel would refuse or that fouctl could confuse with a port number.
util::Status validate_name(const std::string &name);
// "1".."65535", strictly decimal.
util::Result<std::uint16_t> parse_port(const std::string &text, const char *what);
util::Result<std::uint32_t> parse_mtu(const std::string &text);

// Cross-field checks of a complete spec (address families, MTU range, loopback rules).
util::Status validate(const TunnelSpec &spec);

} // namespace fouctl::config
