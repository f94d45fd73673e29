#pragma once
// Private to src/kind: the rows, one per file.
#include "fouctl/kind/kind.hpp"

namespace fouctl::kind {

extern const Kind k_ipip;
extern const Kind k_sit;
extern const Kind k_ipip6;
extern const Kind k_ip6ip6;

} // namespace fouctl::kind
