#pragma once
// rtnetlink interface addresses.
#include <vector>

#include "fouctl/nl/message.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::nl {

struct AddrInfo {
  int ifindex = 0;
  util::Prefix prefix; // the local address with its prefix length
  bool operator==(const AddrInfo &) const = default;
};

// ip addr add PREFIX dev #IFINDEX
Result<Message> build_addr_add(const AddrInfo &a);
// ip addr del PREFIX dev #IFINDEX
Result<Message> build_addr_del(const AddrInfo &a);
// ip addr show
Result<Message> build_addr_dump();
Result<AddrInfo> parse_addr(const Reply &r);

Result<std::vector<AddrInfo>> addr_list(Socket &rt);
Status addr_add(Socket &rt, const AddrInfo &a);
Status addr_del(Socket &rt, const AddrInfo &a);

} // namespace fouctl::nl
