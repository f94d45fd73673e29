#include "fouctl/nl/lwt.hpp"

#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

Result<Message> build_lwt_route_add(const LwtRoute &r) {
  auto m = Message::make(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  rtmsg rtm{};
  rtm.rtm_family = static_cast<unsigned char>(util::af(r.dst.addr));
  rtm.rtm_dst_len = static_cast<unsigned char>(r.dst.len);
  rtm.rtm_table = static_cast<unsigned char>(r.table < 256 ? r.table : 0u); // else RTA_TABLE
  rtm.rtm_protocol = r.protocol;
  rtm.rtm_scope = RT_SCOPE_LINK;
  rtm.rtm_type = RTN_UNICAST;
  FOUCTL_TRY(m.append(&rtm, sizeof rtm));
  FOUCTL_TRY(m.put_addr(RTA_DST, r.dst.addr));
  FOUCTL_TRY(m.put_u32(RTA_TABLE, r.table));
  FOUCTL_TRY(m.put_u32(RTA_OIF, static_cast<std::uint32_t>(r.oif)));
  if (r.prefsrc.is_set())
    FOUCTL_TRY(m.put_addr(RTA_PREFSRC, r.prefsrc));
  // RTA_ENCAP_TYPE is a host-order u16; RTA_ENCAP's layout depends on it (lwt_bpf.c).
  FOUCTL_TRY(m.put_u16(RTA_ENCAP_TYPE, LWTUNNEL_ENCAP_BPF));
  FOUCTL_TRY_ASSIGN(auto encap, m.nest_start(RTA_ENCAP));
  FOUCTL_TRY_ASSIGN(auto xmit, m.nest_start(LWT_BPF_XMIT));
  FOUCTL_TRY(m.put_u32(LWT_BPF_PROG_FD, static_cast<std::uint32_t>(r.prog_fd)));
  FOUCTL_TRY(m.put_string(LWT_BPF_PROG_NAME, r.prog_name)); // required with the fd
  FOUCTL_TRY(m.nest_end(xmit));
  if (r.headroom != 0)
    FOUCTL_TRY(m.put_u32(LWT_BPF_XMIT_HEADROOM, r.headroom));
  FOUCTL_TRY(m.nest_end(encap));
  if (r.mtu != 0) {
    FOUCTL_TRY_ASSIGN(auto metrics, m.nest_start(RTA_METRICS));
    // RTAX_LOCK is a bit mask of the locked metrics: TCP and PMTU discovery then keep
    // this MTU instead of learning one from the underlay device.
    if (r.mtu_locked)
      FOUCTL_TRY(m.put_u32(RTAX_LOCK, 1u << RTAX_MTU));
    FOUCTL_TRY(m.put_u32(RTAX_MTU, r.mtu));
    FOUCTL_TRY(m.nest_end(metrics));
  }
  return m;
}

Result<std::optional<LwtRoute>> parse_lwt_route(const Reply &reply) {
  auto header = reply.family_header<rtmsg>();
  if (!header)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWROUTE");
  const rtmsg &rtm = *header;
  AttrTable t(reply.attrs_after(sizeof rtm), RTA_MAX);
  if (!t.has(RTA_ENCAP_TYPE) || t.u16(RTA_ENCAP_TYPE) != LWTUNNEL_ENCAP_BPF)
    return std::nullopt;
  AttrTable encap = t.nested(RTA_ENCAP, LWT_BPF_MAX);
  if (!encap.has(LWT_BPF_XMIT))
    return std::nullopt;
  LwtRoute r;
  r.dst.len = rtm.rtm_dst_len;
  static constexpr std::uint8_t k_any[16] = {}; // a default route has no RTA_DST
  r.dst.addr = t.has(RTA_DST) ? t.addr(RTA_DST, rtm.rtm_family)
                              : util::IpAddr::from_bytes(rtm.rtm_family, k_any, sizeof k_any);
  r.oif = static_cast<int>(t.u32(RTA_OIF));
  if (t.has(RTA_PREFSRC))
    r.prefsrc = t.addr(RTA_PREFSRC, rtm.rtm_family);
  r.table = t.has(RTA_TABLE) ? t.u32(RTA_TABLE) : rtm.rtm_table;
  r.protocol = rtm.rtm_protocol;
  r.prog_name = encap.nested(LWT_BPF_XMIT, LWT_BPF_PROG_MAX).str(LWT_BPF_PROG_NAME);
  r.headroom = encap.u32(LWT_BPF_XMIT_HEADROOM);
  AttrTable metrics = t.nested(RTA_METRICS, RTAX_MAX);
  r.mtu = metrics.u32(RTAX_MTU);
  r.mtu_locked = (metrics.u32(RTAX_LOCK) & (1u << RTAX_MTU)) != 0;
  return r;
}

Result<std::vector<LwtRoute>> lwt_route_list(Socket &rt) {
  std::vector<LwtRoute> out;
  for (int family : {AF_INET, AF_INET6}) {
    FOUCTL_TRY_ASSIGN(auto m, build_route_dump(family));
    FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
    for (const auto &reply : replies) {
      if (reply.type() != RTM_NEWROUTE)
        continue;
      if (auto h = reply.family_header<rtmsg>(); h && (h->rtm_flags & RTM_F_CLONED) != 0)
        continue; // a cached exception, not a route
      FOUCTL_TRY_ASSIGN(auto r, parse_lwt_route(reply));
      if (r && r->table == 254)
        out.push_back(*r);
    }
  }
  return out;
}

Status lwt_route_add(Socket &rt, const LwtRoute &r) {
  FOUCTL_TRY_ASSIGN(auto m, build_lwt_route_add(r));
  return rt.request(m).map([](auto &&) {});
}

Status lwt_route_del(Socket &rt, const LwtRoute &r) {
  RouteInfo info;
  info.dst = r.dst;
  info.oif = r.oif;
  info.table = r.table;
  info.protocol = r.protocol;
  return route_del(rt, info);
}

} // namespace fouctl::nl
