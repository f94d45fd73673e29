#include "fouctl/nl/message.hpp"

#include <arpa/inet.h>

#include <cstring>
#include <new>

#include <netlink/attr.h>
#include <netlink/errno.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

Message Message::make(int type, int flags) {
  nl_msg *m = nlmsg_alloc_simple(type, flags | NLM_F_REQUEST);
  if (m == nullptr)
    throw std::bad_alloc();
  return Message(m);
}

int Message::type() const { return nlmsg_hdr(m_msg.get())->nlmsg_type; }
int Message::flags() const { return nlmsg_hdr(m_msg.get())->nlmsg_flags; }

std::vector<std::uint8_t> Message::bytes() const {
  const nlmsghdr *h = nlmsg_hdr(m_msg.get());
  const auto *p = reinterpret_cast<const std::uint8_t *>(h);
  return {p, p + h->nlmsg_len};
}

static Status attr_error(int rc, int attr) {
  return fail(ErrorKind::system, "building netlink message: attribute " + std::to_string(attr) +
                                     " does not fit (" + nl_geterror(rc) + ")");
}

Status Message::append(const void *header, std::size_t len) {
  int rc = nlmsg_append(m_msg.get(), const_cast<void *>(header), len, NLMSG_ALIGNTO);
  if (rc < 0)
    return attr_error(rc, 0);
  return {};
}

Status Message::put(int attr, const void *data, std::size_t len) {
  int rc = nla_put(m_msg.get(), attr, static_cast<int>(len), data);
  if (rc < 0)
    return attr_error(rc, attr);
  return {};
}

Status Message::put_be16(int attr, std::uint16_t host_order) {
  std::uint16_t be = htons(host_order);
  return put(attr, &be, sizeof be);
}

Status Message::put_string(int attr, std::string_view s) {
  std::string z(s); // netlink strings carry their NUL
  return put(attr, z.c_str(), z.size() + 1);
}

Result<nlattr *> Message::nest_start(int attr) {
  nlattr *n = nla_nest_start(m_msg.get(), attr);
  if (n == nullptr)
    return tl::unexpected(attr_error(-NLE_NOMEM, attr).error());
  return n;
}

Status Message::nest_end(nlattr *start) {
  int rc = nla_nest_end(m_msg.get(), start);
  if (rc < 0)
    return attr_error(rc, start->nla_type);
  return {};
}

std::size_t Reply::length() const {
  nlmsghdr h;
  if (data.size() < sizeof h)
    return 0;
  std::memcpy(&h, data.data(), sizeof h); // no alignment assumed
  if (h.nlmsg_len < sizeof h || h.nlmsg_len > data.size())
    return 0;
  return h.nlmsg_len;
}

std::uint16_t Reply::type() const {
  if (length() == 0)
    return 0;
  nlmsghdr h;
  std::memcpy(&h, data.data(), sizeof h);
  return h.nlmsg_type;
}

std::span<const std::uint8_t> Reply::attrs_after(std::size_t fixed) const {
  std::size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
  std::size_t len = length();
  if (len < off)
    return {};
  return {data.data() + off, len - off};
}

AttrTable::AttrTable(std::span<const std::uint8_t> area, int max_type)
    : m_attrs(static_cast<std::size_t>(max_type) + 1), m_present(static_cast<std::size_t>(max_type) + 1) {
  std::size_t off = 0;
  while (off + sizeof(nlattr) <= area.size()) {
    nlattr a;
    std::memcpy(&a, area.data() + off, sizeof a);
    if (a.nla_len < sizeof(nlattr) || off + a.nla_len > area.size())
      break; // malformed: stop rather than read past the end
    int type = a.nla_type & NLA_TYPE_MASK;
    if (type <= max_type) {
      m_attrs[static_cast<std::size_t>(type)] =
          area.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
      m_present[static_cast<std::size_t>(type)] = true;
    }
    off += NLA_ALIGN(a.nla_len);
  }
}

bool AttrTable::has(int type) const {
  return type >= 0 && static_cast<std::size_t>(type) < m_present.size() &&
         m_present[static_cast<std::size_t>(type)];
}

std::span<const std::uint8_t> AttrTable::raw(int type) const {
  return has(type) ? m_attrs[static_cast<std::size_t>(type)] : std::span<const std::uint8_t>{};
}

template <typename T> static T read_as(std::span<const std::uint8_t> s, T fallback) {
  if (s.size() < sizeof(T))
    return fallback;
  T v;
  std::memcpy(&v, s.data(), sizeof v);
  return v;
}

std::uint8_t AttrTable::u8(int type, std::uint8_t fb) const { return read_as(raw(type), fb); }
std::uint16_t AttrTable::u16(int type, std::uint16_t fb) const { return read_as(raw(type), fb); }
std::uint32_t AttrTable::u32(int type, std::uint32_t fb) const { return read_as(raw(type), fb); }
std::uint16_t AttrTable::be16(int type, std::uint16_t fb) const {
  return has(type) ? ntohs(read_as<std::uint16_t>(raw(type), 0)) : fb;
}

std::string AttrTable::str(int type) const {
  auto s = raw(type);
  std::string out(reinterpret_cast<const char *>(s.data()), s.size());
  if (auto nul = out.find('\0'); nul != std::string::npos)
    out.resize(nul);
  return out;
}

util::IpAddr AttrTable::addr(int type, int family_af) const {
  auto s = raw(type);
  return util::IpAddr::from_bytes(family_af, s.data(), s.size());
}

AttrTable AttrTable::nested(int type, int max_type) const { return AttrTable(raw(type), max_type); }

} // namespace fouctl::nl
