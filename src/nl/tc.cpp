#include "fouctl/nl/tc.hpp"

#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

Result<Message> build_qdisc_dump() {
  auto m = Message::make(RTM_GETQDISC, NLM_F_DUMP);
  tcmsg tcm{};
  tcm.tcm_family = AF_UNSPEC;
  FOUCTL_TRY(m.append(&tcm, sizeof tcm));
  return m;
}

Result<QdiscInfo> parse_qdisc(const Reply &r) {
  auto tcm = r.family_header<tcmsg>();
  if (!tcm)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWQDISC");
  AttrTable t(r.attrs_after(sizeof(tcmsg)), TCA_MAX);
  QdiscInfo q;
  q.ifindex = tcm->tcm_ifindex;
  q.handle = tcm->tcm_handle;
  q.parent = tcm->tcm_parent;
  q.kind = t.str(TCA_KIND);
  return q;
}

Result<std::vector<QdiscInfo>> qdisc_list(Socket &rt) {
  FOUCTL_TRY_ASSIGN(auto m, build_qdisc_dump());
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  std::vector<QdiscInfo> out;
  for (const auto &reply : replies) {
    if (reply.type() != RTM_NEWQDISC)
      continue;
    FOUCTL_TRY_ASSIGN(auto q, parse_qdisc(reply));
    out.push_back(q);
  }
  return out;
}

Result<Message> build_filter_dump(int ifindex, std::uint32_t parent) {
  auto m = Message::make(RTM_GETTFILTER, NLM_F_DUMP);
  tcmsg tcm{};
  tcm.tcm_family = AF_UNSPEC;
  tcm.tcm_ifindex = ifindex;
  tcm.tcm_parent = parent;
  FOUCTL_TRY(m.append(&tcm, sizeof tcm));
  return m;
}

Result<FilterInfo> parse_filter(const Reply &r) {
  auto tcm = r.family_header<tcmsg>();
  if (!tcm)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWTFILTER");
  AttrTable t(r.attrs_after(sizeof(tcmsg)), TCA_MAX);
  FilterInfo f;
  f.parent = tcm->tcm_parent;
  f.handle = tcm->tcm_handle;
  // tcm_info of a filter: priority in the upper 16 bits, protocol in the lower.
  f.priority = static_cast<std::uint16_t>(tcm->tcm_info >> 16);
  f.protocol = static_cast<std::uint16_t>(tcm->tcm_info & 0xffff);
  f.kind = t.str(TCA_KIND);
  return f;
}

Result<std::vector<FilterInfo>> filter_list(Socket &rt, int ifindex, std::uint32_t parent) {
  FOUCTL_TRY_ASSIGN(auto m, build_filter_dump(ifindex, parent));
  auto replies = rt.request(m);
  // No clsact qdisc on the device: nothing to list.
  if (!replies && (replies.error().errnum == EINVAL || replies.error().errnum == ENOENT))
    return std::vector<FilterInfo>{};
  if (!replies)
    return tl::unexpected(replies.error());
  std::vector<FilterInfo> out;
  for (const auto &reply : *replies) {
    if (reply.type() != RTM_NEWTFILTER)
      continue;
    FOUCTL_TRY_ASSIGN(auto f, parse_filter(reply));
    out.push_back(f);
  }
  return out;
}

} // namespace fouctl::nl
