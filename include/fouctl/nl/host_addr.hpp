#pragma once
// Host addresses that fouctl's bpf backend puts on lo, marked as fouctl's with the
// address protocol (IFA_PROTO, Linux 5.18+; older kernels ignore it) and without a prefix
// route: a prefix on lo would make the whole prefix local.
#include <cstdint>
#include <vector>

#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::nl {

struct HostAddr {
  int ifindex = 0;
  util::Prefix prefix;    // the address with its prefix length
  std::uint8_t proto = 0; // IFA_PROTO: k_rtprot_fouctl for fouctl's
  std::uint32_t flags = 0; // IFA_FLAGS (IFA_F_*)
  bool operator==(const HostAddr &) const = default;
};

// ip addr add PREFIX dev #IFINDEX noprefixroute proto 252 (flags and proto from `a`)
Result<Message> build_host_addr_add(const HostAddr &a);
Result<HostAddr> parse_host_addr(const Reply &r);

Result<std::vector<HostAddr>> host_addr_list(Socket &rt);
Status host_addr_add(Socket &rt, const HostAddr &a);

} // namespace fouctl::nl
