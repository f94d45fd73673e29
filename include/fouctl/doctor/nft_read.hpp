#pragma once
// Reads the current network namespace's nftables ruleset (iptables-nft's rules included)
// as the JSON `nft -j list ruleset` prints, through libnftables opened with dlopen(), so
// fouctl does not depend on libnftables1: without it the firewall check is skipped.
#include <nlohmann/json.hpp>

#include "fouctl/util/result.hpp"

namespace fouctl::doctor {

// ErrorKind::missing ("libnftables1 is not installed") without the library; system when
// the kernel refuses the listing (no CAP_NET_ADMIN) or the output is not JSON or is
// larger than 16 MiB.
util::Result<nlohmann::json> read_ruleset();

} // namespace fouctl::doctor
