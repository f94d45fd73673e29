#include "fouctl/nl/host_addr.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

Result<Message> build_host_addr_add(const HostAddr &a) {
  auto m = Message::make(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = static_cast<unsigned char>(util::af(a.prefix.addr));
  ifa.ifa_prefixlen = static_cast<unsigned char>(a.prefix.len);
  ifa.ifa_index = static_cast<unsigned>(a.ifindex);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  // The low 8 flag bits fit ifa_flags; IFA_FLAGS (u32, host order) carries them all.
  ifa.ifa_flags = static_cast<unsigned char>(a.flags & 0xff);
  FOUCTL_TRY(m.append(&ifa, sizeof ifa));
  FOUCTL_TRY(m.put_addr(IFA_LOCAL, a.prefix.addr));
  FOUCTL_TRY(m.put_addr(IFA_ADDRESS, a.prefix.addr));
  FOUCTL_TRY(m.put_u32(IFA_FLAGS, a.flags));
  if (a.proto != 0)
    FOUCTL_TRY(m.put_u8(IFA_PROTO, a.proto));
  return m;
}

Result<HostAddr> parse_host_addr(const Reply &r) {
  auto ifa = r.family_header<ifaddrmsg>();
  if (!ifa)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWADDR");
  AttrTable t(r.attrs_after(sizeof(ifaddrmsg)), IFA_MAX);
  HostAddr a;
  a.ifindex = static_cast<int>(ifa->ifa_index);
  a.prefix.len = ifa->ifa_prefixlen;
  a.prefix.addr = t.addr(t.has(IFA_LOCAL) ? IFA_LOCAL : IFA_ADDRESS, ifa->ifa_family);
  a.flags = t.has(IFA_FLAGS) ? t.u32(IFA_FLAGS) : ifa->ifa_flags;
  a.proto = t.u8(IFA_PROTO);
  return a;
}

Result<std::vector<HostAddr>> host_addr_list(Socket &rt) {
  FOUCTL_TRY_ASSIGN(auto m, build_addr_dump());
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  std::vector<HostAddr> out;
  for (const auto &r : replies) {
    if (r.type() != RTM_NEWADDR)
      continue;
    FOUCTL_TRY_ASSIGN(auto a, parse_host_addr(r));
    if (a.prefix.addr.is_set())
      out.push_back(a);
  }
  return out;
}

Status host_addr_add(Socket &rt, const HostAddr &a) {
  FOUCTL_TRY_ASSIGN(auto m, build_host_addr_add(a));
  return rt.request(m).map([](auto &&) {});
}

} // namespace fouctl::nl
