#include "fouctl/nl/link.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

bool LinkInfo::is_up() const { return (flags & IFF_UP) != 0; }

static Result<Message> link_msg(int type, int flags, int ifindex) {
  auto m = Message::make(type, flags);
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  FOUCTL_TRY(m.append(&ifi, sizeof ifi));
  return m;
}

// ip6tnl's IFLA_IPTUN_*: IPv6 addresses, a hop limit instead of TTL, no PMTUDISC or TOS,
// and flags (encaplimit none: no tunnel encapsulation limit option in every packet).
static Status put_ip6tnl_data(Message &m, const IptunParams &t) {
  static constexpr std::uint8_t k_any6[16] = {};
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_LINK, t.link));
  if (t.local.is_set())
    FOUCTL_TRY(m.put_addr(IFLA_IPTUN_LOCAL, t.local));
  else
    FOUCTL_TRY(m.put(IFLA_IPTUN_LOCAL, k_any6, sizeof k_any6));
  FOUCTL_TRY(m.put_addr(IFLA_IPTUN_REMOTE, t.remote));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_TTL, t.ttl));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_ENCAP_LIMIT, 0));
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_FLOWINFO, 0));
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_FLAGS, t.ip6_flags));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_PROTO, t.proto));
  FOUCTL_TRY(m.put_u16(IFLA_IPTUN_ENCAP_TYPE, t.encap_type));   // host order
  FOUCTL_TRY(m.put_u16(IFLA_IPTUN_ENCAP_FLAGS, t.encap_flags)); // host order
  FOUCTL_TRY(m.put_be16(IFLA_IPTUN_ENCAP_SPORT, t.encap_sport)); // network order
  FOUCTL_TRY(m.put_be16(IFLA_IPTUN_ENCAP_DPORT, t.encap_dport)); // network order
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_FWMARK, t.fwmark));
  return {};
}

// IFLA_LINKINFO { KIND "ipip", "sit" or "ip6tnl", DATA { IFLA_IPTUN_* } }: every attribute,
// always.
static Status put_ipip_linkinfo(Message &m, const std::string &kind, const IptunParams &t) {
  FOUCTL_TRY_ASSIGN(auto *info, m.nest_start(IFLA_LINKINFO));
  FOUCTL_TRY(m.put_string(IFLA_INFO_KIND, kind));
  FOUCTL_TRY_ASSIGN(auto *data, m.nest_start(IFLA_INFO_DATA));
  if (kind == "ip6tnl") {
    FOUCTL_TRY(put_ip6tnl_data(m, t));
    FOUCTL_TRY(m.nest_end(data));
    FOUCTL_TRY(m.nest_end(info));
    return {};
  }
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_LINK, t.link));
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_LOCAL, t.local.is_set() ? t.local.v4_be() : 0));
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_REMOTE, t.remote.v4_be()));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_TTL, t.ttl));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_TOS, 0));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_PROTO, t.proto));
  FOUCTL_TRY(m.put_u8(IFLA_IPTUN_PMTUDISC, t.pmtudisc ? 1 : 0));
  FOUCTL_TRY(m.put_u16(IFLA_IPTUN_ENCAP_TYPE, t.encap_type));   // host order
  FOUCTL_TRY(m.put_u16(IFLA_IPTUN_ENCAP_FLAGS, t.encap_flags)); // host order
  FOUCTL_TRY(m.put_be16(IFLA_IPTUN_ENCAP_SPORT, t.encap_sport)); // network order
  FOUCTL_TRY(m.put_be16(IFLA_IPTUN_ENCAP_DPORT, t.encap_dport)); // network order
  FOUCTL_TRY(m.put_u32(IFLA_IPTUN_FWMARK, t.fwmark));
  FOUCTL_TRY(m.nest_end(data));
  FOUCTL_TRY(m.nest_end(info));
  return {};
}

Result<Message> build_ipip_create(const IpipLinkSpec &s) {
  // EXCL: never change an existing device by accident; the kernel would otherwise update
  // a same-named ipip device in place and zero every attribute we left out. ECHO: from
  // Linux 6.3 the kernel answers with the new device (its ifindex); older ones ignore it.
  FOUCTL_TRY_ASSIGN(auto m, link_msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO, 0));
  FOUCTL_TRY(m.put_string(IFLA_IFNAME, s.name));
  if (s.mtu != 0)
    FOUCTL_TRY(m.put_u32(IFLA_MTU, s.mtu));
  FOUCTL_TRY(put_ipip_linkinfo(m, s.kind, s.tunnel));
  return m;
}

Result<Message> build_link_set(int ifindex, std::optional<std::uint32_t> mtu,
                               std::optional<std::string> alias, std::optional<bool> up) {
  FOUCTL_TRY_ASSIGN(auto m, link_msg(RTM_NEWLINK, 0, ifindex));
  if (up) {
    auto *ifi = static_cast<ifinfomsg *>(nlmsg_data(nlmsg_hdr(m.get())));
    ifi->ifi_flags = *up ? IFF_UP : 0;
    ifi->ifi_change = IFF_UP;
  }
  if (mtu)
    FOUCTL_TRY(m.put_u32(IFLA_MTU, *mtu));
  if (alias)
    FOUCTL_TRY(m.put_string(IFLA_IFALIAS, *alias));
  return m;
}

Result<Message> build_link_del(int ifindex) { return link_msg(RTM_DELLINK, 0, ifindex); }

Result<Message> build_link_dump(bool counters) {
  FOUCTL_TRY_ASSIGN(auto m, link_msg(RTM_GETLINK, NLM_F_DUMP, 0));
  if (!counters)
    FOUCTL_TRY(m.put_u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS));
  return m;
}

Result<Message> build_link_get(const std::string &name) {
  FOUCTL_TRY_ASSIGN(auto m, link_msg(RTM_GETLINK, 0, 0));
  FOUCTL_TRY(m.put_string(IFLA_IFNAME, name));
  return m;
}

Result<Message> build_link_get(int ifindex) { return link_msg(RTM_GETLINK, 0, ifindex); }

Result<Message> build_ipip_change(int ifindex, const IptunParams &tunnel, const std::string &kind) {
  FOUCTL_TRY_ASSIGN(auto m, link_msg(RTM_NEWLINK, 0, ifindex));
  FOUCTL_TRY(put_ipip_linkinfo(m, kind, tunnel));
  return m;
}

static IptunParams parse_iptun(const AttrTable &d, int family_af) {
  IptunParams t;
  t.link = d.u32(IFLA_IPTUN_LINK);
  t.local = d.addr(IFLA_IPTUN_LOCAL, family_af);
  if (t.local.is_unspecified())
    t.local = {};
  t.remote = d.addr(IFLA_IPTUN_REMOTE, family_af);
  t.ip6_flags = d.u32(IFLA_IPTUN_FLAGS);
  t.ttl = d.u8(IFLA_IPTUN_TTL);
  t.proto = d.u8(IFLA_IPTUN_PROTO);
  t.pmtudisc = d.u8(IFLA_IPTUN_PMTUDISC) != 0;
  t.encap_type = d.u16(IFLA_IPTUN_ENCAP_TYPE);
  t.encap_flags = d.u16(IFLA_IPTUN_ENCAP_FLAGS);
  t.encap_sport = d.be16(IFLA_IPTUN_ENCAP_SPORT);
  t.encap_dport = d.be16(IFLA_IPTUN_ENCAP_DPORT);
  t.fwmark = d.u32(IFLA_IPTUN_FWMARK);
  return t;
}

Result<LinkInfo> parse_link(const Reply &r) {
  auto ifi = r.family_header<ifinfomsg>();
  if (!ifi)
    return fail(ErrorKind::system, "the kernel sent a short RTM_NEWLINK");
  AttrTable a(r.attrs_after(sizeof(ifinfomsg)), IFLA_MAX);
  LinkInfo l;
  l.ifindex = ifi->ifi_index;
  l.flags = ifi->ifi_flags;
  l.type = ifi->ifi_type;
  l.name = a.str(IFLA_IFNAME);
  l.alias = a.str(IFLA_IFALIAS);
  l.mtu = a.u32(IFLA_MTU);
  auto info = a.nested(IFLA_LINKINFO, IFLA_INFO_MAX);
  l.kind = info.str(IFLA_INFO_KIND);
  if (l.kind == "ipip" || l.kind == "sit")
    l.tunnel = parse_iptun(info.nested(IFLA_INFO_DATA, IFLA_IPTUN_MAX), AF_INET);
  if (l.kind == "ip6tnl")
    l.tunnel = parse_iptun(info.nested(IFLA_INFO_DATA, IFLA_IPTUN_MAX), AF_INET6);
  if (l.kind == "tun") {
    // IFLA_TUN_OWNER (Linux 4.15): the user a persistent device was made for (`ip tuntap
    // add ... user U`); (uid_t)-1 when none.
    auto tun = info.nested(IFLA_INFO_DATA, IFLA_TUN_MAX);
    if (tun.has(IFLA_TUN_OWNER) && tun.u32(IFLA_TUN_OWNER) != UINT32_MAX)
      l.tun_owner = tun.u32(IFLA_TUN_OWNER);
  }
  auto st = a.raw(IFLA_STATS64);
  if (st.size() >= sizeof(rtnl_link_stats64)) {
    rtnl_link_stats64 s;
    std::memcpy(&s, st.data(), sizeof s);
    l.counters = {s.rx_packets, s.rx_bytes,   s.tx_packets, s.tx_bytes,
                  s.rx_dropped, s.tx_dropped, s.rx_errors,  s.tx_errors};
  }
  return l;
}

Result<std::vector<LinkInfo>> link_list(Socket &rt, bool counters) {
  FOUCTL_TRY_ASSIGN(auto m, build_link_dump(counters));
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  std::vector<LinkInfo> out;
  for (const auto &r : replies) {
    if (r.type() != RTM_NEWLINK)
      continue;
    FOUCTL_TRY_ASSIGN(auto l, parse_link(r));
    out.push_back(std::move(l));
  }
  return out;
}

Result<LinkInfo> link_get(Socket &rt, const std::string &name) {
  FOUCTL_TRY_ASSIGN(auto m, build_link_get(name));
  auto replies = rt.request(m);
  if (!replies && replies.error().errnum == ENODEV)
    return fail(ErrorKind::not_found, "no device '" + name + "'");
  if (!replies)
    return tl::unexpected(replies.error());
  for (const auto &r : *replies)
    if (r.type() == RTM_NEWLINK)
      return parse_link(r);
  return fail(ErrorKind::not_found, "no device '" + name + "'");
}

Result<LinkInfo> link_get(Socket &rt, int ifindex) {
  FOUCTL_TRY_ASSIGN(auto m, build_link_get(ifindex));
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  for (const auto &r : replies)
    if (r.type() == RTM_NEWLINK)
      return parse_link(r);
  return fail(ErrorKind::not_found, "no device #" + std::to_string(ifindex));
}

Status ipip_change(Socket &rt, int ifindex, const IptunParams &tunnel, const std::string &kind) {
  FOUCTL_TRY_ASSIGN(auto m, build_ipip_change(ifindex, tunnel, kind));
  return rt.request(m).map([](auto &&) {});
}

Result<LinkInfo> ipip_create(Socket &rt, const IpipLinkSpec &spec) {
  FOUCTL_TRY_ASSIGN(auto m, build_ipip_create(spec));
  FOUCTL_TRY_ASSIGN(auto replies, rt.request(m));
  for (const auto &r : replies)
    if (r.type() == RTM_NEWLINK)
      if (auto l = parse_link(r); l && l->name == spec.name && l->ifindex > 0)
        return l;
  // No echo (before 6.3): the ACK carries no ifindex, so ask for this one link.
  return link_get(rt, spec.name);
}

Status link_set(Socket &rt, int ifindex, std::optional<std::uint32_t> mtu,
                std::optional<std::string> alias, std::optional<bool> up) {
  FOUCTL_TRY_ASSIGN(auto m, build_link_set(ifindex, mtu, std::move(alias), up));
  return rt.request(m).map([](auto &&) {});
}

Status link_del(Socket &rt, int ifindex) {
  FOUCTL_TRY_ASSIGN(auto m, build_link_del(ifindex));
  return rt.request(m).map([](auto &&) {});
}

} // namespace fouctl::nl
