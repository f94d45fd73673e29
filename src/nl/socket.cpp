#include "fouctl/nl/socket.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;
using util::fail_errno;

namespace {

constexpr int k_recv_timeout_s = 10; // the kernel answers at once; this only bounds a hang
#ifndef SOL_NETLINK
constexpr int SOL_NETLINK = 270;
#endif

// Extracts NLMSGERR_ATTR_MSG from an error message that carries ACK TLVs.
std::string ext_ack_text(const nlmsghdr *h) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
    return {};
  const auto *err = static_cast<const nlmsgerr *>(NLMSG_DATA(h));
  std::size_t off = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED))
    off += err->msg.nlmsg_len - NLMSG_HDRLEN;
  off = NLMSG_ALIGN(off);
  if (off >= h->nlmsg_len)
    return {};
  const auto *base = reinterpret_cast<const std::uint8_t *>(h);
  AttrTable tlvs({base + off, h->nlmsg_len - off}, NLMSGERR_ATTR_MAX);
  return tlvs.str(NLMSGERR_ATTR_MSG);
}

} // namespace

Result<Socket> Socket::open(int protocol) {
  nl_sock *raw = nl_socket_alloc();
  if (raw == nullptr)
    return fail(ErrorKind::system, "allocating a netlink socket failed", ENOMEM);
  Socket s(raw);
  nl_socket_disable_auto_ack(raw);
  int rc = protocol == NETLINK_GENERIC ? genl_connect(raw) : nl_connect(raw, protocol);
  if (rc < 0)
    return fail(ErrorKind::system, std::string("opening a netlink socket failed: ") + nl_geterror(rc));
  nl_socket_enable_msg_peek(raw); // dumps can exceed the default buffer
  int fd = nl_socket_get_fd(raw);
  int one = 1;
  // Ask for the kernel's explanation text, and do not echo our request back in errors.
  ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  timeval tv{k_recv_timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return s;
}

Result<std::vector<Reply>> Socket::request(Message &msg) {
  nlmsghdr *req = nlmsg_hdr(msg.get());
  bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump)
    req->nlmsg_flags |= NLM_F_ACK;
  int rc = nl_send_auto(m_sock.get(), msg.get());
  if (rc < 0)
    return fail(ErrorKind::system, std::string("sending a netlink request failed: ") + nl_geterror(rc));
  const std::uint32_t seq = req->nlmsg_seq;

  std::vector<Reply> replies;
  for (;;) {
    sockaddr_nl from{};
    unsigned char *buf = nullptr;
    int n = nl_recv(m_sock.get(), &from, &buf, nullptr);
    std::unique_ptr<unsigned char, decltype(&std::free)> owner(buf, &std::free);
    if (n <= 0) {
      int e = n == 0 ? EIO : errno;
      return fail_errno("receiving a netlink reply failed", e == 0 ? ETIMEDOUT : e);
    }
    auto *h = reinterpret_cast<nlmsghdr *>(buf);
    int left = n;
    for (; nlmsg_ok(h, left); h = nlmsg_next(h, &left)) {
      if (h->nlmsg_seq != seq)
        continue; // a stale answer to an earlier request
      if (h->nlmsg_type == NLMSG_DONE)
        return replies;
      if (h->nlmsg_type == NLMSG_ERROR) {
        const auto *err = static_cast<const nlmsgerr *>(NLMSG_DATA(h));
        if (err->error == 0)
          return replies; // the ACK
        auto e = fail_errno("the kernel refused the request", -err->error);
        e.value().message = std::strerror(-err->error);
        e.value().ext_ack = ext_ack_text(h);
        return e;
      }
      if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_OVERRUN)
        continue;
      const auto *p = reinterpret_cast<const std::uint8_t *>(h);
      replies.push_back(Reply{{p, p + h->nlmsg_len}});
    }
  }
}

Result<int> Socket::genl_family(const char *name) {
  int id = genl_ctrl_resolve(m_sock.get(), name);
  if (id < 0)
    return fail(ErrorKind::missing,
                std::string("the kernel has no generic netlink family '") + name + "'");
  return id;
}

} // namespace fouctl::nl
