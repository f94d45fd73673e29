#include "fouctl/nl/addr.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

static Result<Message> addr_msg(int type, int flags, const AddrInfo *a) {
  auto m = Message::make(type, flags);
  ifaddrmsg ifa{};
  if (a != nullptr) {
    ifa.ifa_family = static_cast<unsigned char>(util::af(a->prefix.addr));
    ifa.ifa_prefixlen = static_cast<unsigned char>(a->prefix.len);
    ifa.ifa_index = static_cast<unsigned>(a->ifindex);
    ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  }
  FOUCTL_TRY(m.append(&ifa, sizeof ifa));
  if (a != nullptr) {
    // On a point-to-point device IFA_ADDRESS is the peer; with both set to the same value
    // the kernel treats it as a plain local address, as iproute2 does.
    FOUCTL_TRY(m.put_addr(IFA_LOCAL, a->prefix.addr));
    FOUCTL_TRY(m.put_addr(IFA_ADDRESS, a->prefix.addr));
  }
  return m;
}

Result<Message> build_addr_add(const AddrInfo &a) {
  return addr_msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &a);
}
Result<Message> build_addr_del(const AddrInfo &a) { return addr_msg(RTM_DELADDR, 0, &a); }
Result<Message> build_addr_dump() { return addr_msg(RTM_GETADDR, NLM_F_DUMP, nullptr); }

Result<AddrInfo> parse_addr(const Reply &r) {
  auto ifa = r.family_header<ifaddrmsg>();
  if (!ifa)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWADDR");
  AttrTable t(r.attrs_after(sizeof(ifaddrmsg)), IFA_MAX);
  AddrInfo a;
  a.ifindex = static_cast<int>(ifa->ifa_index);
  a.prefix.len = ifa->ifa_prefixlen;
  a.prefix.addr = t.addr(t.has(IFA_LOCAL) ? IFA_LOCAL : IFA_ADDRESS, ifa->ifa_family);
  return a;
}

Result<std::vector<AddrInfo>> addr_list(Socket &rt) {
  FOUCTL_TRY_ASSIGN(auto m, build_addr_dump());
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  std::vector<AddrInfo> out;
  for (const auto &r : replies) {
    if (r.type() != RTM_NEWADDR)
      continue;
    FOUCTL_TRY_ASSIGN(auto a, parse_addr(r));
    if (a.prefix.addr.is_set())
      out.push_back(a);
  }
  return out;
}

Status addr_add(Socket &rt, const AddrInfo &a) {
  FOUCTL_TRY_ASSIGN(auto m, build_addr_add(a));
  return rt.request(m).map([](auto &&) {});
}

Status addr_del(Socket &rt, const AddrInfo &a) {
  FOUCTL_TRY_ASSIGN(auto m, build_addr_del(a));
  return rt.request(m).map([](auto &&) {});
}

} // namespace fouctl::nl
