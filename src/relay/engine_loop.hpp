#pragma once
// Private to src/relay: the state behind Engine. engine.cpp runs the epoll loop,
// datapath.cpp moves the packets.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fouctl/relay/engine.hpp"
#include "fouctl/relay/icmp.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

namespace detail {

constexpr std::size_t k_batch = Engine::k_batch;
constexpr std::size_t k_slot = Engine::k_slot_bytes;
// Packets are read from the TUN this far into their slot, so a tun_pi header can be put in
// front without a copy.
constexpr std::size_t k_headroom = k_max_framing_overhead;

// epoll_event.data.u32 tags.
enum Tag : std::uint32_t { k_tag_stop, k_tag_tun, k_tag_udp };

inline bool is_again(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == EINTR; }

// The fd, or the call, is unusable: retrying cannot help.
inline bool is_fatal(int err) {
  return err == EBADF || err == EBADFD || err == ENOTSOCK || err == EFAULT || err == EINVAL ||
         err == EDESTADDRREQ || err == EAFNOSUPPORT || err == EOPNOTSUPP;
}

// Largest inner packet one UDP datagram can carry: 65535 minus the outer IPv4 header (the
// IPv6 payload length excludes its header) minus UDP and the framing.
inline std::uint32_t udp_payload_limit(const EngineConfig &cfg) {
  const std::size_t outer = cfg.peer.ss_family == AF_INET6 ? 8 : 28;
  return static_cast<std::uint32_t>(65535 - outer - framing_overhead(cfg.framing));
}

} // namespace detail

class Engine::Loop {
public:
  Loop(EngineConfig cfg, Counters &counters)
      : m_cfg(std::move(cfg)), m_counters(counters),
        m_rx_buf(std::make_unique_for_overwrite<std::uint8_t[]>(detail::k_batch * detail::k_slot)),
        m_tx_buf(std::make_unique_for_overwrite<std::uint8_t[]>(detail::k_batch * detail::k_slot)) {
    for (std::size_t i = 0; i < detail::k_batch; ++i) {
      m_rx_iov[i] = {rx_slot(i), detail::k_slot};
      m_rx_msgs[i] = {};
      m_rx_msgs[i].msg_hdr.msg_name = &m_rx_from[i];
      m_rx_msgs[i].msg_hdr.msg_iov = &m_rx_iov[i];
      m_rx_msgs[i].msg_hdr.msg_iovlen = 1;
      m_tx_msgs[i] = {};
      m_tx_msgs[i].msg_hdr.msg_name = &m_cfg.peer;
      m_tx_msgs[i].msg_hdr.msg_namelen = m_cfg.peer_len;
      m_tx_msgs[i].msg_hdr.msg_iov = &m_tx_iov[i];
      m_tx_msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }

  util::Status run();

private:
  std::uint8_t *rx_slot(std::size_t i) { return m_rx_buf.get() + i * detail::k_slot; }
  std::uint8_t *tx_slot(std::size_t i) { return m_tx_buf.get() + i * detail::k_slot; }

  util::Status setup();
  util::Status watch(int op, int fd, std::uint32_t events, detail::Tag tag);
  util::Status set_waiting_for_udp(bool waiting);
  util::Status udp_to_tun();
  util::Status tun_to_udp();
  util::Status flush_tx();
  void answer_too_big(std::span<const std::uint8_t> pkt, std::uint32_t mtu);
  bool send_fragments(std::span<const std::uint8_t> pkt, std::uint32_t mtu);
  void send_outer_fragments(const iovec &datagram, std::size_t inner_len);
  std::uint32_t path_mtu_for_inner();
  void drop(DropReason r, std::size_t bytes, std::string_view from, std::string_view note = {});

  EngineConfig m_cfg;
  Counters &m_counters;
  std::string m_peer_text; // formatted once, for log lines
  util::UniqueFd m_epoll;
  util::UniqueFd m_probe; // spare socket for probe_path_mtu; -1 if it could not be made
  bool m_waiting = false; // a sendmmsg hit EAGAIN: TUN reads paused until EPOLLOUT

  std::unique_ptr<std::uint8_t[]> m_rx_buf;
  std::array<mmsghdr, detail::k_batch> m_rx_msgs{};
  std::array<iovec, detail::k_batch> m_rx_iov{};
  std::array<sockaddr_storage, detail::k_batch> m_rx_from{};

  std::unique_ptr<std::uint8_t[]> m_tx_buf;
  std::array<mmsghdr, detail::k_batch> m_tx_msgs{};
  std::array<iovec, detail::k_batch> m_tx_iov{};
  std::size_t m_tx_count = 0; // messages prepared in m_tx_msgs
  std::size_t m_tx_next = 0;  // first message not yet sent

  std::array<std::uint8_t, k_icmp_max_reply> m_icmp{};
  // One fragment at a time (send_fragments), allocated on first use.
  std::unique_ptr<std::uint8_t[]> m_frag;
};

} // namespace fouctl::relay
