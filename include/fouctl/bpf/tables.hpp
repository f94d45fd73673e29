#pragma once
// Reading and writing the datapath's maps in fouctl's terms: tunnels, where they receive,
// which inner prefixes they carry, and their counters. The conversions at the top are pure
// (unit-tested); the Tables calls are bpf() syscalls on a Datapath's maps.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fouctl/bpf/abi.h"
#include "fouctl/bpf/datapath.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/util/ip.hpp"

namespace fouctl::bpf {

// Outer IPv4 or IPv6 (the peer's family) + UDP, and GUE's 4 bytes: what fou_encap pushes
// (LWT_BPF_XMIT_HEADROOM).
std::uint32_t headroom(const util::IpAddr &peer, config::Encap e);

// The fou_tunnels entry for `spec`, sending from `local` through underlay device
// `ifindex`. Its addresses are the spec's (at most FOUCTL_BPF_MAX_ADDRS).
util::Result<fouctl_tunnel> make_entry(const config::TunnelSpec &spec, const util::IpAddr &local,
                                       int ifindex);
std::string name_of(const fouctl_tunnel &t);
util::IpAddr local_of(const fouctl_tunnel &t);
util::IpAddr peer_of(const fouctl_tunnel &t);
std::vector<util::Prefix> addresses_of(const fouctl_tunnel &t);
fouctl_rx_key rx_key_of(const fouctl_tunnel &t);
// Whether two entries describe the same tunnel (the counters' slot and the fouctl-side
// flags aside).
bool same_tunnel(const fouctl_tunnel &a, const fouctl_tunnel &b);

// The per-CPU counters of one tunnel, added up.
fouctl_stats sum(const std::vector<fouctl_stats> &per_cpu);

class Tables {
public:
  explicit Tables(const Datapath &d) : m_d(d) {}

  // Every entry in use, by id.
  [[nodiscard]] std::vector<std::pair<std::uint32_t, fouctl_tunnel>> tunnels() const;
  // The lowest free id; ErrorKind::conflict when the table is full.
  [[nodiscard]] util::Result<std::uint32_t> free_id() const;
  util::Status put_tunnel(std::uint32_t id, const fouctl_tunnel &t) const;
  util::Status clear_tunnel(std::uint32_t id) const;

  [[nodiscard]] std::optional<std::uint32_t> rx(const fouctl_rx_key &key) const;
  util::Status put_rx(const fouctl_rx_key &key, std::uint32_t id) const;
  util::Status del_rx(const fouctl_rx_key &key) const;

  // Inner prefixes routed into tunnels (fou_route4 and fou_route6), with their tunnel.
  [[nodiscard]] std::vector<std::pair<util::Prefix, std::uint32_t>> routes() const;
  util::Status put_route(const util::Prefix &p, std::uint32_t id) const;
  util::Status del_route(const util::Prefix &p) const;

  [[nodiscard]] fouctl_stats stats(std::uint32_t id) const;
  util::Status reset_stats(std::uint32_t id) const;

private:
  const Datapath &m_d;
};

} // namespace fouctl::bpf
