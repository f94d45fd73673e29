#include "fouctl/relay/udp.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace fouctl::relay {

using util::fail_errno;

namespace {

int get_int(int fd, int level, int name) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, name, &v, &len) < 0)
    return 0;
  return v;
}

// SO_*BUFFORCE needs CAP_NET_ADMIN and ignores rmem_max/wmem_max; the plain option is capped.
util::Result<bool> set_buffer(int fd, int force_name, int name, const char *what) {
  int bytes = k_udp_buffer_bytes;
  if (::setsockopt(fd, SOL_SOCKET, force_name, &bytes, sizeof bytes) == 0)
    return true;
  if (::setsockopt(fd, SOL_SOCKET, name, &bytes, sizeof bytes) < 0)
    return fail_errno(std::string("setting ") + what + " on the relay's UDP socket failed", errno);
  return false;
}

} // namespace

util::Result<UdpTuning> tune_udp_socket(int fd) {
  UdpTuning t;
  FOUCTL_TRY_ASSIGN(bool rcv_forced, set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, "SO_RCVBUF"));
  FOUCTL_TRY_ASSIGN(bool snd_forced, set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, "SO_SNDBUF"));
  t.forced = rcv_forced && snd_forced;
  t.rcvbuf = get_int(fd, SOL_SOCKET, SO_RCVBUF);
  t.sndbuf = get_int(fd, SOL_SOCKET, SO_SNDBUF);

  sockaddr_storage local{};
  socklen_t len = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &len) < 0)
    return fail_errno("reading the relay's UDP socket address failed", errno);
  int mode = local.ss_family == AF_INET6 ? IPV6_PMTUDISC_DO : IP_PMTUDISC_DO;
  int level = local.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
  int name = local.ss_family == AF_INET6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER;
  if (::setsockopt(fd, level, name, &mode, sizeof mode) < 0)
    return fail_errno("setting path MTU discovery on the relay's UDP socket failed", errno);
  return t;
}

bool same_peer(const sockaddr_storage &from, const sockaddr_storage &peer, bool match_port) {
  if (from.ss_family != peer.ss_family)
    return false;
  if (from.ss_family == AF_INET) {
    sockaddr_in a, b; // copies: sockaddr_storage may not be accessed as sockaddr_in
    std::memcpy(&a, &from, sizeof a);
    std::memcpy(&b, &peer, sizeof b);
    return a.sin_addr.s_addr == b.sin_addr.s_addr && (!match_port || a.sin_port == b.sin_port);
  }
  if (from.ss_family == AF_INET6) {
    sockaddr_in6 a, b;
    std::memcpy(&a, &from, sizeof a);
    std::memcpy(&b, &peer, sizeof b);
    return std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) == 0 &&
           (!match_port || a.sin6_port == b.sin6_port);
  }
  return false;
}

std::string format_endpoint(const sockaddr_storage &addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    sockaddr_in a;
    std::memcpy(&a, &addr, sizeof a);
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(a.sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    sockaddr_in6 a;
    std::memcpy(&a, &addr, sizeof a);
    ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(a.sin6_port));
  }
  return "?";
}

std::optional<std::uint32_t> probe_path_mtu(int probe_fd, const sockaddr_storage &peer,
                                            socklen_t peer_len) {
  if (probe_fd < 0 || ::connect(probe_fd, reinterpret_cast<const sockaddr *>(&peer), peer_len) < 0)
    return std::nullopt;
  const bool v6 = peer.ss_family == AF_INET6;
  int mtu = 0;
  socklen_t len = sizeof mtu;
  if (::getsockopt(probe_fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len) <
          0 ||
      mtu <= 0)
    return std::nullopt;
  return static_cast<std::uint32_t>(mtu);
}

} // namespace fouctl::relay
