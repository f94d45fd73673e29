#include "fouctl/nl/socket.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/time.h>

#include <cerrno>

#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "fouctl/nl/genl.hpp"
#include "fouctl/nl/replies.hpp"

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;
using util::fail_errno;

namespace {

constexpr int k_recv_timeout_s = 10; // the kernel answers at once; this only bounds a hang
#ifndef SOL_NETLINK
constexpr int SOL_NETLINK = 270;
#endif

// Only the kernel (port id 0) answers requests. Any process with CAP_NET_ADMIN in the
// namespace can send a datagram to our port id, and one that arrived first with the right
// sequence number would otherwise pass for the kernel's ACK or dump.
bool from_kernel(const sockaddr_nl &from) {
  return from.nl_family == AF_NETLINK && from.nl_pid == 0;
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

  ReplyCollector collector(seq);
  for (;;) {
    sockaddr_nl from{};
    FOUCTL_TRY_ASSIGN(std::size_t n, receive(from));
    if (!from_kernel(from))
      continue; // not an answer, whatever it says
    FOUCTL_TRY_ASSIGN(bool done, collector.add_datagram({m_buf.data(), n}));
    if (done)
      return collector.take();
  }
}

Result<std::size_t> Socket::receive(sockaddr_nl &from) {
  iovec iov{m_buf.data(), m_buf.size()};
  msghdr mh{};
  mh.msg_name = &from;
  mh.msg_namelen = sizeof from;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  for (;;) {
    // One call per datagram: the buffer holds the largest one the kernel builds, so there
    // is no need to peek at its size first. MSG_TRUNC makes the call return the real size.
    ssize_t n = ::recvmsg(fd(), &mh, MSG_TRUNC);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail_errno("receiving a netlink reply failed",
                        errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno);
    if (static_cast<std::size_t>(n) > m_buf.size() || (mh.msg_flags & MSG_TRUNC) != 0)
      return fail(ErrorKind::system, "a netlink reply of " + std::to_string(n) +
                                          " bytes does not fit the " +
                                          std::to_string(m_buf.size()) + "-byte buffer");
    if (n == 0 && from_kernel(from))
      return fail_errno("receiving a netlink reply failed", EIO);
    return static_cast<std::size_t>(n);
  }
}

Result<int> Socket::genl_family(const char *name) {
  FOUCTL_TRY_ASSIGN(auto m, build_genl_family_get(name));
  auto replies = request(m);
  if (!replies && replies.error().errnum == ENOENT)
    return fail(ErrorKind::missing,
                std::string("the kernel has no generic netlink family '") + name + "'");
  if (!replies)
    return tl::unexpected(replies.error());
  for (const auto &r : *replies)
    if (r.type() == GENL_ID_CTRL)
      return parse_genl_family_id(r);
  return fail(ErrorKind::system,
              std::string("the kernel did not answer the lookup of generic netlink family '") +
                  name + "'");
}

} // namespace fouctl::nl
