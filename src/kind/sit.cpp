// sit: IPv6 in IPv4 (IPPROTO_IPV6, 41). Same IFLA_IPTUN_* attributes as ipip; its FOU port
// hands payloads to the IPv6-in-IPv4 handler.
#include "table.hpp"

namespace fouctl::kind {

const Kind k_sit{"sit", "sit", "sit", 4, 6, 41, "sit", "CONFIG_IPV6_SIT", "fou", "CONFIG_NET_FOU"};

} // namespace fouctl::kind
