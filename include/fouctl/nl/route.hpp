#pragma once
// rtnetlink routes. fouctl tags the routes it makes with its own rtm_protocol so that it
// finds and removes only those (`ip route show proto 252`).
#include <cstdint>
#include <vector>

#include "fouctl/nl/message.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::nl {

// Unassigned in iproute2's rt_protos; shown as "proto 252".
constexpr std::uint8_t k_rtprot_fouctl = 252;

struct RouteInfo {
  util::Prefix dst;
  int oif = 0;
  std::uint32_t table = 254; // RT_TABLE_MAIN
  std::uint8_t protocol = k_rtprot_fouctl;
  std::uint8_t type = 1;     // RTN_UNICAST
  std::uint32_t metric = 0;
  bool operator==(const RouteInfo &) const = default;
};

// ip route add DST dev #OIF proto 252 scope link (EXCL: never replace someone's route)
Result<Message> build_route_add(const RouteInfo &r);
// ip route del DST dev #OIF proto 252
Result<Message> build_route_del(const RouteInfo &r);
// ip route show table all
Result<Message> build_route_dump(int family_af);
Result<RouteInfo> parse_route(const Reply &r);

// What the kernel would do with a packet to an address (`ip route get`).
struct RouteLookup {
  int oif = 0;
  std::uint8_t type = 0; // RTN_LOCAL for an address of this host
  std::uint32_t mtu = 0; // RTAX_MTU: the route's mtu or a learned path MTU; 0 when none
  util::IpAddr prefsrc;  // RTA_PREFSRC: the source address the kernel would choose
  bool operator==(const RouteLookup &) const = default;
};

// ip route get DST [from SRC]
Result<Message> build_route_get(const util::IpAddr &dst, const util::IpAddr &src);
Result<RouteLookup> parse_route_lookup(const Reply &r);

Result<std::vector<RouteInfo>> route_list(Socket &rt);
// ENETUNREACH/EHOSTUNREACH come back as errors with those errnos.
Result<RouteLookup> route_get(Socket &rt, const util::IpAddr &dst, const util::IpAddr &src);
Status route_add(Socket &rt, const RouteInfo &r);
Status route_del(Socket &rt, const RouteInfo &r);

} // namespace fouctl::nl
