#include "fouctl/nl/route.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

static Result<Message> route_msg(int type, int flags, const RouteInfo &r) {
  auto m = Message::make(type, flags);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(util::af(r.dst.addr));
  rtm.rtm_dst_len = static_cast<unsigned char>(r.dst.len);
  rtm.rtm_table = static_cast<unsigned char>(r.table < 256 ? r.table : 0u); // else RTA_TABLE
  rtm.rtm_protocol = r.protocol;
  rtm.rtm_scope = type == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_LINK;
  rtm.rtm_type = r.type;
  FOUCTL_TRY(m.append(&rtm, sizeof rtm));
  FOUCTL_TRY(m.put_addr(RTA_DST, r.dst.addr));
  FOUCTL_TRY(m.put_u32(RTA_TABLE, r.table));
  FOUCTL_TRY(m.put_u32(RTA_OIF, static_cast<std::uint32_t>(r.oif)));
  if (r.metric != 0)
    FOUCTL_TRY(m.put_u32(RTA_PRIORITY, r.metric));
  return m;
}

Result<Message> build_route_add(const RouteInfo &r) {
  return route_msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
}
Result<Message> build_route_del(const RouteInfo &r) { return route_msg(RTM_DELROUTE, 0, r); }

Result<Message> build_route_dump(int family_af) {
  auto m = Message::make(RTM_GETROUTE, NLM_F_DUMP);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(family_af);
  FOUCTL_TRY(m.append(&rtm, sizeof rtm));
  return m;
}

Result<RouteInfo> parse_route(const Reply &reply) {
  auto header = reply.family_header<rtmsg>();
  if (!header)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWROUTE");
  const rtmsg &rtm = *header;
  AttrTable t(reply.attrs_after(sizeof rtm), RTA_MAX);
  RouteInfo r;
  r.dst.len = rtm.rtm_dst_len;
  static constexpr std::uint8_t k_any[16] = {}; // a default route has no RTA_DST
  r.dst.addr = t.has(RTA_DST) ? t.addr(RTA_DST, rtm.rtm_family)
                              : util::IpAddr::from_bytes(rtm.rtm_family, k_any, sizeof k_any);
  r.oif = static_cast<int>(t.u32(RTA_OIF));
  r.table = t.has(RTA_TABLE) ? t.u32(RTA_TABLE) : rtm.rtm_table;
  r.protocol = rtm.rtm_protocol;
  r.type = rtm.rtm_type;
  r.metric = t.u32(RTA_PRIORITY);
  return r;
}

Result<Message> build_route_get(const util::IpAddr &dst, const util::IpAddr &src) {
  auto m = Message::make(RTM_GETROUTE, 0);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(util::af(dst));
  rtm.rtm_dst_len = static_cast<unsigned char>(dst.family == 6 ? 128 : 32);
  if (src.is_set())
    rtm.rtm_src_len = rtm.rtm_dst_len;
  FOUCTL_TRY(m.append(&rtm, sizeof rtm));
  FOUCTL_TRY(m.put_addr(RTA_DST, dst));
  if (src.is_set())
    FOUCTL_TRY(m.put_addr(RTA_SRC, src));
  return m;
}

Result<RouteLookup> parse_route_lookup(const Reply &reply) {
  auto header = reply.family_header<rtmsg>();
  if (!header)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWROUTE");
  AttrTable t(reply.attrs_after(sizeof(rtmsg)), RTA_MAX);
  RouteLookup r;
  r.oif = static_cast<int>(t.u32(RTA_OIF));
  r.type = header->rtm_type;
  if (t.has(RTA_METRICS))
    r.mtu = t.nested(RTA_METRICS, RTAX_MAX).u32(RTAX_MTU);
  if (t.has(RTA_PREFSRC))
    r.prefsrc = t.addr(RTA_PREFSRC, header->rtm_family);
  return r;
}

Result<std::vector<RouteInfo>> route_list(Socket &rt) {
  std::vector<RouteInfo> out;
  for (int family : {AF_INET, AF_INET6}) {
    FOUCTL_TRY_ASSIGN(auto m, build_route_dump(family));
    FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
    for (const auto &r : replies) {
      if (r.type() != RTM_NEWROUTE)
        continue;
      // Cached exceptions (a learned path MTU, a redirect) come in the same dump on some
      // kernels; they are copies of a route, not routes (iproute2 hides them too).
      if (auto h = r.family_header<rtmsg>(); h && (h->rtm_flags & RTM_F_CLONED) != 0)
        continue;
      FOUCTL_TRY_ASSIGN(auto info, parse_route(r));
      out.push_back(info);
    }
  }
  return out;
}

Result<RouteLookup> route_get(Socket &rt, const util::IpAddr &dst, const util::IpAddr &src) {
  FOUCTL_TRY_ASSIGN(auto m, build_route_get(dst, src));
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  for (const auto &r : replies)
    if (r.type() == RTM_NEWROUTE)
      return parse_route_lookup(r);
  return fail(ErrorKind::system, "the kernel answered a route lookup without a route");
}

Status route_add(Socket &rt, const RouteInfo &r) {
  FOUCTL_TRY_ASSIGN(auto m, build_route_add(r));
  return rt.request(m).map([](auto &&) {});
}

Status route_del(Socket &rt, const RouteInfo &r) {
  FOUCTL_TRY_ASSIGN(auto m, build_route_del(r));
  return rt.request(m).map([](auto &&) {});
}

} // namespace fouctl::nl
