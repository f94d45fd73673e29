#pragma once
// RAII wrapper around libnl's nl_msg plus a bounds-checked attribute reader.
// Messages are built one checked attribute at a time (the way iproute2 does it), so a
// message that does not fit is an error, never a truncated request.
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <netlink/msg.h>

#include "fouctl/util/ip.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::nl {

using util::Result;
using util::Status;

class Message {
public:
  // nlmsg type and flags; NLM_F_REQUEST is always added.
  static Message make(int type, int flags);

  [[nodiscard]] nl_msg *get() const { return m_msg.get(); }
  [[nodiscard]] int type() const;
  [[nodiscard]] int flags() const;
  // The whole message as it would go on the wire (header included, seq/pid as set).
  [[nodiscard]] std::vector<std::uint8_t> bytes() const;

  Status append(const void *header, std::size_t len);
  Status put(int attr, const void *data, std::size_t len);
  Status put_u8(int attr, std::uint8_t v) { return put(attr, &v, sizeof v); }
  Status put_u16(int attr, std::uint16_t v) { return put(attr, &v, sizeof v); }
  Status put_u32(int attr, std::uint32_t v) { return put(attr, &v, sizeof v); }
  Status put_s32(int attr, std::int32_t v) { return put(attr, &v, sizeof v); }
  // Values the kernel keeps in network byte order (ports).
  Status put_be16(int attr, std::uint16_t host_order);
  Status put_string(int attr, std::string_view s);
  Status put_flag(int attr) { return put(attr, nullptr, 0); }
  Status put_addr(int attr, const util::IpAddr &a) { return put(attr, a.bytes.data(), a.size()); }
  Result<nlattr *> nest_start(int attr);
  Status nest_end(nlattr *start);

private:
  explicit Message(nl_msg *m) : m_msg(m, &nlmsg_free) {}
  std::unique_ptr<nl_msg, decltype(&nlmsg_free)> m_msg;
};

// A received message: its bytes, header first. Nothing in it is trusted: every accessor
// checks that what it reads lies inside both `data` and the header's nlmsg_len.
struct Reply {
  std::vector<std::uint8_t> data;

  // nlmsg_len when `data` holds a whole header and nlmsg_len lies between the header's size
  // and data.size(); 0 for anything else (a message that lies about its length).
  [[nodiscard]] std::size_t length() const;
  // nlmsg_type; 0 (no netlink message has it) when length() is 0.
  [[nodiscard]] std::uint16_t type() const;
  // The family header after the netlink header (ifinfomsg, ifaddrmsg, rtmsg, genlmsghdr);
  // nullopt when the message is too short to hold one.
  template <typename T> [[nodiscard]] std::optional<T> family_header() const {
    if (length() < NLMSG_HDRLEN + sizeof(T))
      return std::nullopt;
    T h;
    std::memcpy(&h, data.data() + NLMSG_HDRLEN, sizeof h);
    return h;
  }
  // Payload after the netlink header and a family header of `fixed` bytes; empty when the
  // message is shorter than that.
  [[nodiscard]] std::span<const std::uint8_t> attrs_after(std::size_t fixed) const;
};

// Attributes of one level, indexed by type; absent or short attributes read as empty.
class AttrTable {
public:
  AttrTable() = default;
  AttrTable(std::span<const std::uint8_t> area, int max_type);

  [[nodiscard]] bool has(int type) const;
  [[nodiscard]] std::span<const std::uint8_t> raw(int type) const;
  [[nodiscard]] std::uint8_t u8(int type, std::uint8_t fallback = 0) const;
  [[nodiscard]] std::uint16_t u16(int type, std::uint16_t fallback = 0) const;
  [[nodiscard]] std::uint16_t be16(int type, std::uint16_t fallback = 0) const;
  [[nodiscard]] std::uint32_t u32(int type, std::uint32_t fallback = 0) const;
  [[nodiscard]] std::string str(int type) const;
  [[nodiscard]] util::IpAddr addr(int type, int family_af) const;
  [[nodiscard]] AttrTable nested(int type, int max_type) const;

private:
  std::vector<std::span<const std::uint8_t>> m_attrs;
  std::vector<bool> m_present;
};

} // namespace fouctl::nl
