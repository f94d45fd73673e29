// ipip: IPv4 in IPv4 (IPPROTO_IPIP, 4), the seed script's tunnel.
#include "table.hpp"

namespace fouctl::kind {

const Kind k_ipip{"ipip", "ipip", "ipip", 4, 4, 4, "ipip", "CONFIG_NET_IPIP",
                  "fou", "CONFIG_NET_FOU"};

} // namespace fouctl::kind
