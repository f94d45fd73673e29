#pragma once
// Routes whose packets a BPF program encapsulates (lightweight tunnels, LWTUNNEL_ENCAP_BPF,
// Linux 4.10+): the egress half of fouctl's bpf backend. Tagged with fouctl's protocol
// like its other routes.
#include <cstdint>
#include <string>
#include <vector>

#include "fouctl/nl/route.hpp"

namespace fouctl::nl {

struct LwtRoute {
  util::Prefix dst;
  int oif = 0;
  util::IpAddr prefsrc; // the preferred source address; unset: none
  std::uint32_t table = 254; // RT_TABLE_MAIN
  std::uint8_t protocol = k_rtprot_fouctl;
  int prog_fd = -1;          // build only: the lwt_xmit program
  std::string prog_name;     // LWT_BPF_PROG_NAME: shown by `ip route`, read back by dumps
  std::uint32_t headroom = 0; // LWT_BPF_XMIT_HEADROOM: bytes the program pushes
  // RTAX_MTU, locked. The kernel subtracts the headroom from it (ip_dst_mtu_maybe_forward
  // and ip6_mtu call lwtunnel_headroom()), so packets routed here may be mtu - headroom.
  std::uint32_t mtu = 0;
  bool mtu_locked = true;
  bool operator==(const LwtRoute &) const = default;
};

// ip route add DST encap bpf xmit fd FD name NAME headroom H dev #OIF [src PREFSRC]
//   proto 252 scope link mtu lock MTU          (EXCL: never replace someone's route)
Result<Message> build_lwt_route_add(const LwtRoute &r);
// The route if it is a BPF lightweight tunnel with an xmit program, else nullopt.
Result<std::optional<LwtRoute>> parse_lwt_route(const Reply &r);

// Every BPF xmit route of the main table, both families.
Result<std::vector<LwtRoute>> lwt_route_list(Socket &rt);
Status lwt_route_add(Socket &rt, const LwtRoute &r);
// ip route del DST dev #OIF proto 252
Status lwt_route_del(Socket &rt, const LwtRoute &r);

} // namespace fouctl::nl
