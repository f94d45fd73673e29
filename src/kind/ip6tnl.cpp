// ip6tnl over an IPv6 underlay, with a fou6 receive port: mode ipip6 carries IPv4
// (IPPROTO_IPIP, 4), mode ip6ip6 IPv6 (IPPROTO_IPV6, 41). Sent with "encaplimit none": no
// tunnel encapsulation limit option (8 more bytes) in every packet.
#include "table.hpp"

namespace fouctl::kind {

const Kind k_ipip6{"ipip6", "ip6tnl", "ip6tnl mode ipip6", 6, 4, 4, "ip6_tunnel",
                   "CONFIG_IPV6_TUNNEL", "fou6", "CONFIG_IPV6_FOU"};
const Kind k_ip6ip6{"ip6ip6", "ip6tnl", "ip6tnl mode ip6ip6", 6, 6, 41, "ip6_tunnel",
                    "CONFIG_IPV6_TUNNEL", "fou6", "CONFIG_IPV6_FOU"};

} // namespace fouctl::kind
