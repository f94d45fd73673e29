#pragma once
// The MTU of a tunnel that was given none: the path to its peer less the outer headers, as
// the kernel's own ip_tunnel_bind_dev() picks it (FOU over a 9000-byte link: 8972). A
// loopback peer (the seed's link, whose 65536 bytes say nothing about the real path) and
// a peer without a route yet keep the 1500-byte default.
#include <cstdint>
#include <string>
#include <vector>

#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/socket.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::backend {

struct MtuChoice {
  std::uint32_t mtu = 0;
  bool from_underlay = false; // false: the default (loopback peer, no route, local peer)
  std::string source;         // "veth0's MTU 9000 less 28 (IPv4 20, UDP 8)"
};

// What a tunnel without an MTU gets, from one `ip route get PEER [from LOCAL]` and, when the
// route has no MTU of its own, the output device's. A usage error when what is left is
// below 68, or below 1280 for a tunnel that carries IPv6.
util::Result<MtuChoice> underlay_mtu(nl::Socket &rt, const config::TunnelSpec &spec);
// Sets spec.mtu when spec.mtu_auto; a given MTU is returned as it is. Opens its own socket
// in the current network namespace.
util::Result<MtuChoice> resolve_mtu(config::TunnelSpec &spec);
util::Result<MtuChoice> resolve_mtu(nl::Socket &rt, config::TunnelSpec &spec);
// The same for every tunnel of a config, with one route lookup per (peer, local); the
// choices in the order of `specs`.
util::Result<std::vector<MtuChoice>> resolve_mtus(nl::Socket &rt,
                                                  std::vector<config::TunnelSpec> &specs);

} // namespace fouctl::backend
