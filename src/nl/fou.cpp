#include "fouctl/nl/fou.hpp"

#include <linux/fou.h>
#include <linux/genetlink.h>
#include <sys/socket.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

std::string FouPort::ip_command(const char *verb) const {
  std::string s = std::string("ip fou ") + verb + " port " + std::to_string(port);
  s += type == FOU_ENCAP_GUE ? " gue" : " ipproto " + std::to_string(ipproto);
  if (family == 6)
    s += " -6"; // iproute2 spells a fou6 port with -6 among the port's options
  if (local.is_set())
    s += " local " + local.to_string();
  if (peer.is_set())
    s += " peer " + peer.to_string() + " peer_port " + std::to_string(peer_port);
  if (ifindex != 0)
    s += " dev #" + std::to_string(ifindex);
  return s;
}

static Result<Message> start(int family_id, std::uint8_t cmd, int flags) {
  auto m = Message::make(family_id, flags);
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = k_fou_genl_version;
  FOUCTL_TRY(m.append(&g, sizeof g));
  return m;
}

// Attributes shared by ADD and DEL: DEL matches on the same tuple that ADD created.
static Status put_tuple(Message &m, const FouPort &p) {
  FOUCTL_TRY(m.put_be16(FOU_ATTR_PORT, p.port)); // network byte order
  FOUCTL_TRY(m.put_u8(FOU_ATTR_AF, p.family == 6 ? AF_INET6 : AF_INET));
  if (p.local.is_set())
    FOUCTL_TRY(m.put_addr(p.local.family == 6 ? FOU_ATTR_LOCAL_V6 : FOU_ATTR_LOCAL_V4, p.local));
  if (p.peer.is_set()) {
    FOUCTL_TRY(m.put_addr(p.peer.family == 6 ? FOU_ATTR_PEER_V6 : FOU_ATTR_PEER_V4, p.peer));
    FOUCTL_TRY(m.put_be16(FOU_ATTR_PEER_PORT, p.peer_port));
  }
  if (p.ifindex != 0)
    FOUCTL_TRY(m.put_s32(FOU_ATTR_IFINDEX, p.ifindex));
  return {};
}

Result<Message> build_fou_add(int family_id, const FouPort &p) {
  FOUCTL_TRY_ASSIGN(auto m, start(family_id, FOU_CMD_ADD, 0));
  FOUCTL_TRY(put_tuple(m, p));
  // IPPROTO only for direct mode: recent kernels reject ipproto 0 with GUE.
  if (p.type == FOU_ENCAP_DIRECT)
    FOUCTL_TRY(m.put_u8(FOU_ATTR_IPPROTO, p.ipproto));
  FOUCTL_TRY(m.put_u8(FOU_ATTR_TYPE, p.type));
  return m;
}

Result<Message> build_fou_del(int family_id, const FouPort &p) {
  FOUCTL_TRY_ASSIGN(auto m, start(family_id, FOU_CMD_DEL, 0));
  FOUCTL_TRY(put_tuple(m, p));
  return m;
}

Result<Message> build_fou_dump(int family_id) { return start(family_id, FOU_CMD_GET, NLM_F_DUMP); }

Result<FouPort> parse_fou(const Reply &r) {
  if (!r.family_header<genlmsghdr>())
    return fail(ErrorKind::system, "the kernel sent a short FOU reply");
  AttrTable t(r.attrs_after(GENL_HDRLEN), FOU_ATTR_MAX);
  if (!t.has(FOU_ATTR_PORT))
    return fail(ErrorKind::system, "the kernel sent a FOU port without FOU_ATTR_PORT");
  FouPort p;
  p.port = t.be16(FOU_ATTR_PORT);
  p.family = t.u8(FOU_ATTR_AF, AF_INET) == AF_INET6 ? 6 : 4;
  p.ipproto = t.u8(FOU_ATTR_IPPROTO);
  p.type = t.u8(FOU_ATTR_TYPE, FOU_ENCAP_DIRECT);
  if (t.has(FOU_ATTR_LOCAL_V4))
    p.local = t.addr(FOU_ATTR_LOCAL_V4, AF_INET);
  if (t.has(FOU_ATTR_LOCAL_V6))
    p.local = t.addr(FOU_ATTR_LOCAL_V6, AF_INET6);
  if (t.has(FOU_ATTR_PEER_V4))
    p.peer = t.addr(FOU_ATTR_PEER_V4, AF_INET);
  if (t.has(FOU_ATTR_PEER_V6))
    p.peer = t.addr(FOU_ATTR_PEER_V6, AF_INET6);
  p.peer_port = t.be16(FOU_ATTR_PEER_PORT);
  p.ifindex = static_cast<std::int32_t>(t.u32(FOU_ATTR_IFINDEX));
  // The kernel reports an unset local/peer as the zero address: treat it as unset.
  if (p.local.is_set() && p.local.is_unspecified())
    p.local = {};
  if (p.peer.is_set() && p.peer.is_unspecified())
    p.peer = {};
  return p;
}

Result<std::vector<FouPort>> fou_list(Socket &genl, int family_id) {
  FOUCTL_TRY_ASSIGN(auto m, build_fou_dump(family_id));
  FOUCTL_TRY_ASSIGN(auto replies, genl.request(m));
  std::vector<FouPort> out;
  for (const auto &r : replies) {
    FOUCTL_TRY_ASSIGN(auto p, parse_fou(r));
    out.push_back(p);
  }
  return out;
}

Status fou_add(Socket &genl, int family_id, const FouPort &p) {
  FOUCTL_TRY_ASSIGN(auto m, build_fou_add(family_id, p));
  return genl.request(m).map([](auto &&) {});
}

Status fou_del(Socket &genl, int family_id, const FouPort &p) {
  FOUCTL_TRY_ASSIGN(auto m, build_fou_del(family_id, p));
  return genl.request(m).map([](auto &&) {});
}

} // namespace fouctl::nl
