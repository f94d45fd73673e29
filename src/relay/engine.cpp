#include "fouctl/relay/engine.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <fmt/format.h>

#include "engine_loop.hpp"
#include "fouctl/relay/udp.hpp"

namespace fouctl::relay {

using util::ErrorKind;
using util::fail;
using util::fail_errno;
using namespace detail;

Engine::Engine(EngineConfig cfg, Counters &counters)
    : m_loop(std::make_unique<Loop>(std::move(cfg), counters)) {}
Engine::~Engine() = default;
Engine::Engine(Engine &&) noexcept = default;

util::Status Engine::run() { return m_loop->run(); }

util::Status Engine::Loop::watch(int op, int fd, std::uint32_t events, Tag tag) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u32 = tag;
  if (::epoll_ctl(m_epoll.get(), op, fd, &ev) < 0)
    return fail_errno("watching the relay's fds with epoll failed", errno);
  return {};
}

util::Status Engine::Loop::setup() {
  const auto &c = m_cfg;
  if (c.tun_fd < 0 || c.udp_fd < 0 || c.stop_fd < 0)
    return fail(ErrorKind::usage, "the relay needs a TUN fd, a UDP socket and a stop fd");
  const socklen_t need = c.peer.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if ((c.peer.ss_family != AF_INET && c.peer.ss_family != AF_INET6) || c.peer_len < need ||
      c.peer_len > sizeof c.peer)
    return fail(ErrorKind::usage, "the relay's peer address is not an IPv4 or IPv6 socket address");
  if (c.mtu < 68 || c.mtu > 65535)
    return fail(ErrorKind::usage, fmt::format("relay MTU {} is outside 68..65535", c.mtu));
  for (int fd : {c.tun_fd, c.udp_fd}) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (!(flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0))
      return fail_errno(fd == c.tun_fd ? "making the TUN fd non-blocking failed"
                                       : "making the UDP socket non-blocking failed",
                        errno);
  }
  m_peer_text = format_endpoint(c.peer);
  m_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!m_epoll.valid())
    return fail_errno("creating the relay's epoll instance failed", errno);
  FOUCTL_TRY(watch(EPOLL_CTL_ADD, c.stop_fd, EPOLLIN, k_tag_stop));
  FOUCTL_TRY(watch(EPOLL_CTL_ADD, c.tun_fd, EPOLLIN, k_tag_tun));
  FOUCTL_TRY(watch(EPOLL_CTL_ADD, c.udp_fd, EPOLLIN, k_tag_udp));
  m_waiting = false;
  m_tx_count = m_tx_next = 0;
  if (!m_probe.valid()) // optional: without it EMSGSIZE answers use cfg.mtu
    m_probe.reset(::socket(c.peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return {};
}

util::Status Engine::Loop::run() {
  FOUCTL_TRY(setup());
  std::array<epoll_event, 4> events{};
  for (;;) {
    int n = ::epoll_wait(m_epoll.get(), events.data(), static_cast<int>(events.size()), -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return fail_errno("waiting for relay traffic failed", errno);
    }
    std::uint32_t tun_ev = 0, udp_ev = 0;
    for (int i = 0; i < n; ++i) {
      switch (events[i].data.u32) {
      case k_tag_stop:
        return {};
      case k_tag_tun:
        tun_ev = events[i].events;
        break;
      case k_tag_udp:
        udp_ev = events[i].events;
        break;
      }
    }
    if (udp_ev & EPOLLHUP)
      return fail(ErrorKind::system, "the relay's UDP socket was shut down");
    if (tun_ev & EPOLLHUP)
      return fail(ErrorKind::system, "the TUN device was closed");
    // A TUN polls EPOLLERR only once detached from its device; while the TUN is not being
    // read (waiting for EPOLLOUT) the read that would report it does not happen.
    if ((tun_ev & EPOLLERR) && m_waiting)
      return fail(ErrorKind::system, "the TUN device reported an error");
    if ((udp_ev & EPOLLOUT) && m_waiting)
      FOUCTL_TRY(flush_tx());
    if (udp_ev & (EPOLLIN | EPOLLERR))
      FOUCTL_TRY(udp_to_tun());
    if ((tun_ev & (EPOLLIN | EPOLLERR)) && !m_waiting)
      FOUCTL_TRY(tun_to_udp());
  }
}

util::Status Engine::Loop::set_waiting_for_udp(bool waiting) {
  if (waiting == m_waiting)
    return {};
  // Level-triggered EPOLLOUT would fire continuously, so it is only asked for while a batch
  // is stuck; meanwhile the TUN is not read, pushing back on the kernel's queue.
  const std::uint32_t in = EPOLLIN, out = EPOLLOUT;
  FOUCTL_TRY(watch(EPOLL_CTL_MOD, m_cfg.udp_fd, waiting ? in | out : in, k_tag_udp));
  FOUCTL_TRY(watch(EPOLL_CTL_MOD, m_cfg.tun_fd, waiting ? 0 : in, k_tag_tun));
  m_waiting = waiting;
  return {};
}

void Engine::Loop::drop(DropReason r, std::size_t bytes, std::string_view from,
                        std::string_view note) {
  bump(m_counters.drop(r));
  if (m_cfg.log)
    m_cfg.log(fmt::format("drop {} bytes from {}: {}{}", bytes, from, to_string(r), note));
}

} // namespace fouctl::relay
