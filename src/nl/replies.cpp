#include "fouctl/nl/replies.hpp"

#include <linux/netlink.h>

#include <algorithm>
#include <cstring>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;
using util::fail_errno;

namespace {

// NLMSG_ALIGN computes in unsigned int and would wrap a length near 4 GiB to a small one.
constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

// The error code at the start of an NLMSG_ERROR or NLMSG_DONE payload.
std::int32_t leading_errno(std::span<const std::uint8_t> msg) {
  std::int32_t e;
  std::memcpy(&e, msg.data() + NLMSG_HDRLEN, sizeof e);
  return e;
}

tl::unexpected<util::Error> kernel_error(std::int32_t negative_errno, std::string ext_ack) {
  // The kernel's codes are small negatives; anything else is still an error, just not one
  // strerror() can name.
  int e = negative_errno < 0 && negative_errno > -4096 ? -negative_errno : EPROTO;
  auto err = fail_errno("the kernel refused the request", e);
  err.value().message = std::strerror(e);
  err.value().ext_ack = std::move(ext_ack);
  return err;
}

} // namespace

std::string ext_ack_text(std::span<const std::uint8_t> msg) {
  nlmsghdr h;
  if (msg.size() < sizeof h)
    return {};
  std::memcpy(&h, msg.data(), sizeof h);
  std::size_t len = std::min<std::size_t>(h.nlmsg_len, msg.size());
  std::size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(h.nlmsg_flags & NLM_F_ACK_TLVS) || len < off)
    return {};
  if (!(h.nlmsg_flags & NLM_F_CAPPED)) {
    // The whole request is echoed: its header is nlmsgerr.msg, its payload follows. Its
    // length comes from the message, so it is checked like any other.
    nlmsgerr err;
    std::memcpy(&err, msg.data() + NLMSG_HDRLEN, sizeof err);
    if (err.msg.nlmsg_len < sizeof(nlmsghdr))
      return {};
    off += std::size_t{err.msg.nlmsg_len} - sizeof(nlmsghdr);
  }
  off = align4(off);
  if (off >= len)
    return {};
  AttrTable tlvs(msg.subspan(off, len - off), NLMSGERR_ATTR_MAX);
  return tlvs.str(NLMSGERR_ATTR_MSG);
}

Result<bool> ReplyCollector::add_datagram(std::span<const std::uint8_t> datagram) {
  std::size_t off = 0;
  while (off < datagram.size() && datagram.size() - off >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, datagram.data() + off, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > datagram.size() - off)
      break; // truncated or lying: nothing after it can be found either
    FOUCTL_TRY_ASSIGN(bool done, add_message(datagram.subspan(off, h.nlmsg_len)));
    if (done)
      return true;
    off += align4(h.nlmsg_len);
  }
  return false;
}

Result<bool> ReplyCollector::add_message(std::span<const std::uint8_t> msg) {
  nlmsghdr h;
  std::memcpy(&h, msg.data(), sizeof h);
  if (h.nlmsg_seq != m_seq)
    return false; // a stale answer to an earlier request
  switch (h.nlmsg_type) {
  case NLMSG_ERROR:
    if (msg.size() < NLMSG_HDRLEN + sizeof(nlmsgerr))
      return fail(ErrorKind::system, "the kernel sent a short NLMSG_ERROR (" +
                                         std::to_string(msg.size()) + " bytes)");
    if (std::int32_t e = leading_errno(msg); e != 0)
      return kernel_error(e, ext_ack_text(msg));
    return true; // the ACK
  case NLMSG_DONE:
    // A dump that failed part-way says so in NLMSG_DONE's payload (iproute2 checks it too).
    if (msg.size() >= NLMSG_HDRLEN + sizeof(std::int32_t))
      if (std::int32_t e = leading_errno(msg); e < 0)
        return kernel_error(e, {});
    return true;
  default:
    // NOOP, OVERRUN and the other types below NLMSG_MIN_TYPE are netlink's own control
    // messages, never data (and Reply::type() reads 0 for a message it cannot trust).
    if (h.nlmsg_type >= NLMSG_MIN_TYPE)
      m_replies.push_back(Reply{{msg.begin(), msg.end()}});
    return false;
  }
}

} // namespace fouctl::nl
