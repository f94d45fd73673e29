#pragma once
// What `fouctl status` reports for one tunnel, whatever its backend.
#include <optional>
#include <string>
#include <vector>

#include "fouctl/nl/link.hpp"
#include "fouctl/util/ip.hpp"

namespace fouctl::backend {

struct TunnelStatus {
  std::string name;
  std::string mode; // "kernel", "userspace" or "bpf"
  std::string kind; // kernel tunnels: the device's kind ("ipip", "sit"); empty for relays
  int ifindex = 0;
  bool up = false;
  std::uint16_t rx_port = 0;
  std::uint16_t tx_port = 0;
  bool rx_port_open = false; // kernel: the FOU port exists
  util::IpAddr peer;
  util::IpAddr local;
  std::uint32_t mtu = 0; // the device's, as the kernel reports it
  bool mtu_auto = false; // no MTU was given: it follows the underlay
  std::string mtu_source; // where the MTU came from: "given", or what the underlay gives now
  std::string encap = "fou"; // "fou" (direct) or "gue"
  std::vector<util::Prefix> routes;       // every route into the device (Observed::routes_through)
  std::vector<util::Prefix> owned_routes; // those fouctl made (its protocol)
  std::vector<util::Prefix> addresses;
  nl::LinkCounters counters;
  // Kernel tunnels only: the device's tx checksum offload (ethtool -k), if it could be read.
  std::optional<bool> offload;
  // Userspace relays only.
  int pid = 0;
  unsigned uid = 0;
  std::string framing;      // "raw" or "tun-pi"
  std::string tun_device;   // set when attached to an existing persistent device
  bool peer_port_fixed = false;
  std::uint32_t relay_mtu = 0; // the MTU the relay was started with (its own setting)
  std::vector<std::pair<std::string, std::uint64_t>> drops; // by reason
  std::uint64_t checksums_completed = 0; // inner checksums a sender left unfinished
  std::uint64_t fragmented = 0;          // IPv4 packets sent as fragments (no DF, too big)
  // bpf tunnels only: the underlay device its routes and ingress filter are on.
  std::string underlay;
};

} // namespace fouctl::backend
