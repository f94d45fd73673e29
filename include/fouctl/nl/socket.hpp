#pragma once
// A netlink socket (libnl) that sends one request and collects its replies, with the
// kernel's extended-ACK text attached to any error. Every receive is bounded by a timeout.
#include <cstdint>
#include <memory>
#include <vector>

#include <linux/netlink.h>

#include <netlink/socket.h>

#include "fouctl/nl/message.hpp"

namespace fouctl::nl {

class Socket {
public:
  // protocol: NETLINK_ROUTE or NETLINK_GENERIC.
  static Result<Socket> open(int protocol);

  // Sends `msg` (NLM_F_ACK is added unless it is a dump) and returns the data replies:
  // the dump's messages, or a "do" request's answer. Datagrams from anyone but the kernel
  // are dropped unread; the kernel's go through ReplyCollector (replies.hpp). A kernel
  // error becomes an Error with errnum and ext_ack set.
  Result<std::vector<Reply>> request(Message &msg);
  // The id of a generic netlink family; ErrorKind::missing if the kernel has none.
  Result<int> genl_family(const char *name);
  // The descriptor, for device ioctls in the same namespace (see ethtool.hpp).
  [[nodiscard]] int fd() const { return nl_socket_get_fd(m_sock.get()); }

private:
  // The kernel builds a dump datagram of at most 32 KiB (the size it learns from our
  // receive buffer, capped there), and a single answer (one link, one family) is far
  // smaller; a datagram that would not fit is an error, never silently cut.
  static constexpr std::size_t k_buffer_size = 64 * 1024;

  explicit Socket(nl_sock *s) : m_sock(s, &nl_socket_free), m_buf(k_buffer_size) {}
  // One datagram into m_buf: its length, and its sender in `from`.
  Result<std::size_t> receive(sockaddr_nl &from);

  std::unique_ptr<nl_sock, decltype(&nl_socket_free)> m_sock;
  std::vector<std::uint8_t> m_buf;
};

} // namespace fouctl::nl
