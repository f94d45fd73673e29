// The relay's per-packet work: UDP -> TUN (recvmmsg, validate, write) and TUN -> UDP (read,
// validate, frame, sendmmsg). Nothing here allocates unless the log callback is set.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "engine_loop.hpp"
#include "fouctl/relay/udp.hpp"

namespace fouctl::relay {

using util::fail_errno;
using namespace detail;

namespace {

constexpr std::string_view k_tun_label = "tun"; // the "from" of TUN-side drops in log lines
constexpr std::uint32_t k_ipv6_min_mtu = 1280;  // RFC 8200: every IPv6 link carries this

// The framing header goes into the headroom in front of a packet read from the TUN.
static_assert(k_max_framing_overhead <= k_headroom);

// The log note of a UDP payload whose framing header strip_framing refused.
std::string_view bad_header_note(Framing f) {
  switch (f) {
  case Framing::tun_pi:
    return " (bad tun_pi header)";
  case Framing::gue:
    return " (bad GUE header)";
  case Framing::raw:
    break;
  }
  return {}; // raw has no header: strip_framing never refuses it
}

// IPv4 without DF (check_inner_packet has seen at least a whole header).
bool may_fragment(std::span<const std::uint8_t> pkt) {
  return ip_version(pkt) == 4 && pkt.size() >= 20 && (load_be16(&pkt[6]) & 0x4000) == 0;
}

} // namespace

util::Status Engine::Loop::udp_to_tun() {
  for (auto &m : m_rx_msgs)
    m.msg_hdr.msg_namelen = sizeof(sockaddr_storage); // value-result: reset every call
  int n = ::recvmmsg(m_cfg.udp_fd, m_rx_msgs.data(), k_batch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (is_fatal(errno))
      return fail_errno("receiving on the relay's UDP socket failed", errno);
    return {}; // EAGAIN, EINTR, or a queued ICMP error (ECONNREFUSED...), now consumed
  }

  std::uint64_t packets = 0, bytes = 0, completed = 0;
  util::Status status;
  std::string from; // formatted only when logging
  for (int i = 0; i < n; ++i) {
    const msghdr &hdr = m_rx_msgs[i].msg_hdr;
    const std::size_t len = m_rx_msgs[i].msg_len;
    if (m_cfg.log) {
      from = hdr.msg_namelen > 0 ? format_endpoint(m_rx_from[i]) : "?";
      m_cfg.log(fmt::format("< {} bytes from {}", len, from));
    }
    if (hdr.msg_namelen == 0 || !same_peer(m_rx_from[i], m_cfg.peer, m_cfg.peer_port_fixed)) {
      drop(DropReason::foreign_source, len, from);
      continue;
    }
    if (hdr.msg_flags & MSG_TRUNC) { // longer than a slot: cannot be one IP packet
      drop(DropReason::malformed, len, from, " (truncated)");
      continue;
    }
    std::span<std::uint8_t> pkt(rx_slot(i), len);
    auto inner = strip_framing(m_cfg.framing, pkt);
    if (!inner) {
      drop(DropReason::malformed, len, from, bad_header_note(m_cfg.framing));
      continue;
    }
    // The same bytes, writable: complete_partial_checksum may patch them.
    pkt = pkt.subspan(static_cast<std::size_t>(inner->data() - pkt.data()), inner->size());
    if (check_inner_packet(pkt)) {
      drop(DropReason::malformed, len, from);
      continue;
    }
    // A sender with tx checksum offload (any Linux kernel FOU peer over veth, virtio or
    // loopback) leaves TCP/UDP checksums for hardware that this path never had.
    if (complete_partial_checksum(pkt))
      ++completed;
    if (::write(m_cfg.tun_fd, pkt.data(), pkt.size()) < 0) {
      const int err = errno;
      // EINVAL here is the kernel refusing this packet, not a bad fd: count it.
      if (is_fatal(err) && err != EINVAL) {
        status = fail_errno("writing to the TUN device failed", err);
        break;
      }
      drop(DropReason::tun_write, len, from,
           m_cfg.log ? fmt::format(" ({})", std::strerror(err)) : std::string());
      continue;
    }
    ++packets;
    bytes += pkt.size();
  }
  bump(m_counters.rx_packets, packets);
  bump(m_counters.rx_bytes, bytes);
  bump(m_counters.rx_csum_completed, completed);
  return status;
}

util::Status Engine::Loop::tun_to_udp() {
  const std::size_t overhead = framing_overhead(m_cfg.framing);
  std::size_t count = 0;
  for (std::size_t reads = 0; reads < k_batch; ++reads) {
    std::uint8_t *slot = tx_slot(count);
    ssize_t r = ::read(m_cfg.tun_fd, slot + k_headroom, k_slot - k_headroom);
    if (r < 0) {
      if (is_again(errno))
        break;
      // EBADFD: the TUN device was deleted under us; nothing else is expected either.
      const int err = errno;
      m_tx_count = count;
      m_tx_next = 0;
      FOUCTL_TRY(flush_tx()); // what was read still goes out
      return fail_errno("reading from the TUN device failed", err);
    }
    std::span<const std::uint8_t> pkt(slot + k_headroom, static_cast<std::size_t>(r));
    if (check_inner_packet(pkt)) {
      drop(DropReason::malformed, pkt.size(), k_tun_label);
      continue;
    }
    if (pkt.size() > m_cfg.mtu) {
      // The device's MTU was raised by hand past the relay's: what the kernel would have
      // fragmented before the TUN is fragmented here, the rest answered.
      if (!(may_fragment(pkt) && send_fragments(pkt, std::min(m_cfg.mtu, path_mtu_for_inner()))))
        answer_too_big(pkt, m_cfg.mtu);
      continue;
    }
    std::uint8_t *start = slot + k_headroom - overhead;
    (void)write_framing(m_cfg.framing, pkt, {start, overhead}); // version 4 or 6: succeeds
    m_tx_iov[count] = {start, pkt.size() + overhead};
    ++count;
  }
  m_tx_count = count;
  m_tx_next = 0;
  return flush_tx();
}

util::Status Engine::Loop::flush_tx() {
  const std::size_t overhead = framing_overhead(m_cfg.framing);
  std::optional<std::uint32_t> path_mtu; // probed at most once per batch
  std::uint64_t packets = 0, bytes = 0;
  util::Status status;
  while (m_tx_next < m_tx_count) {
    int n = ::sendmmsg(m_cfg.udp_fd, &m_tx_msgs[m_tx_next],
                       static_cast<unsigned>(m_tx_count - m_tx_next), MSG_DONTWAIT);
    if (n > 0) {
      for (std::size_t i = m_tx_next; i < m_tx_next + static_cast<std::size_t>(n); ++i) {
        ++packets;
        bytes += m_tx_iov[i].iov_len - overhead;
        if (m_cfg.log)
          m_cfg.log(fmt::format("> {} bytes to {}", m_tx_iov[i].iov_len, m_peer_text));
      }
      m_tx_next += static_cast<std::size_t>(n);
      continue;
    }
    // sendmmsg reports the error of the first unsent message; the ones after it are retried.
    const int err = n < 0 ? errno : EAGAIN;
    if (err == EINTR)
      continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      status = set_waiting_for_udp(true); // the rest goes out on EPOLLOUT
      break;
    }
    const iovec &iov = m_tx_iov[m_tx_next];
    std::span<const std::uint8_t> pkt(static_cast<const std::uint8_t *>(iov.iov_base) + overhead,
                                      iov.iov_len - overhead);
    if (err == EMSGSIZE) { // over the path MTU (DF set by tune_udp_socket) or 64 KiB
      if (!path_mtu)
        path_mtu = path_mtu_for_inner();
      // Without DF a kernel tunnel's stack fragments the inner packet; so does the relay.
      // IPv6 may not be fragmented on the way and no IPv6 link is below 1280 bytes: a
      // packet up to that goes out in outer fragments, as sit does on such a path, and
      // a larger one is told 1280 at least. Otherwise the sender learns the path MTU from
      // the ICMP answer.
      if (ip_version(pkt) == 6 && pkt.size() <= k_ipv6_min_mtu) {
        send_outer_fragments(iov, pkt.size());
      } else if (!(may_fragment(pkt) && send_fragments(pkt, *path_mtu))) {
        answer_too_big(pkt, ip_version(pkt) == 6 ? std::max(*path_mtu, k_ipv6_min_mtu) : *path_mtu);
      }
    } else if (is_fatal(err)) {
      status = fail_errno("sending on the relay's UDP socket failed", err);
      break;
    } else { // ENOBUFS, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPERM (netfilter)...
      drop(DropReason::udp_send, iov.iov_len, k_tun_label,
           m_cfg.log ? fmt::format(" ({})", std::strerror(err)) : std::string());
    }
    ++m_tx_next;
  }
  bump(m_counters.tx_packets, packets);
  bump(m_counters.tx_bytes, bytes);
  if (status && m_tx_next == m_tx_count) {
    m_tx_count = m_tx_next = 0;
    status = set_waiting_for_udp(false);
  }
  return status;
}

std::uint32_t Engine::Loop::path_mtu_for_inner() {
  const std::uint32_t limit = udp_payload_limit(m_cfg);
  auto pmtu = probe_path_mtu(m_probe.get(), m_cfg.peer, m_cfg.peer_len);
  if (!pmtu)
    return std::min(m_cfg.mtu, limit);
  // Outer IPv4 + UDP is 28 bytes, IPv6 + UDP 48, plus the framing.
  const std::uint32_t outer = (m_cfg.peer.ss_family == AF_INET6 ? 48 : 28) +
                              static_cast<std::uint32_t>(framing_overhead(m_cfg.framing));
  const std::uint32_t mtu = *pmtu > outer ? *pmtu - outer : 0;
  return std::max<std::uint32_t>(68, std::min(mtu, limit)); // 68: the IPv4 minimum MTU
}

void Engine::Loop::send_outer_fragments(const iovec &datagram, std::size_t inner_len) {
  // DF off for this one datagram only: the kernel then fragments the outer packet.
  const bool v6 = m_cfg.peer.ss_family == AF_INET6;
  const int level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
  const int name = v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER;
  int dont = v6 ? IPV6_PMTUDISC_DONT : IP_PMTUDISC_DONT;
  int again = v6 ? IPV6_PMTUDISC_DO : IP_PMTUDISC_DO;
  bool sent = ::setsockopt(m_cfg.udp_fd, level, name, &dont, sizeof dont) == 0 &&
              ::sendto(m_cfg.udp_fd, datagram.iov_base, datagram.iov_len, MSG_DONTWAIT,
                       reinterpret_cast<const sockaddr *>(&m_cfg.peer), m_cfg.peer_len) >= 0;
  const int err = errno;
  (void)::setsockopt(m_cfg.udp_fd, level, name, &again, sizeof again);
  if (!sent) {
    drop(DropReason::udp_send, datagram.iov_len, k_tun_label,
         m_cfg.log ? fmt::format(" ({})", std::strerror(err)) : std::string());
    return;
  }
  if (m_cfg.log)
    m_cfg.log(fmt::format("> {} bytes to {} (in outer fragments)", datagram.iov_len, m_peer_text));
  bump(m_counters.tx_packets);
  bump(m_counters.tx_bytes, inner_len);
  bump(m_counters.tx_fragmented);
}

bool Engine::Loop::send_fragments(std::span<const std::uint8_t> pkt, std::uint32_t mtu) {
  auto fragmenter = Ipv4Fragmenter::start(pkt, mtu);
  if (!fragmenter)
    return false;
  if (!m_frag)
    m_frag = std::make_unique_for_overwrite<std::uint8_t[]>(k_slot);
  const std::size_t overhead = framing_overhead(m_cfg.framing);
  std::uint8_t *buf = m_frag.get();
  std::size_t pieces = 0;
  for (std::size_t n; (n = fragmenter->next({buf + overhead, k_slot - overhead})) > 0; ++pieces) {
    (void)write_framing(m_cfg.framing, {buf + overhead, n}, {buf, overhead}); // IPv4: true
    if (::sendto(m_cfg.udp_fd, buf, n + overhead, MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr *>(&m_cfg.peer), m_cfg.peer_len) < 0) {
      // The rest would be useless to the receiver's reassembly: the packet is lost.
      drop(DropReason::udp_send, pkt.size(), k_tun_label,
           m_cfg.log ? fmt::format(" (fragment {}: {})", pieces + 1, std::strerror(errno))
                     : std::string());
      return true;
    }
    if (m_cfg.log)
      m_cfg.log(fmt::format("> {} bytes to {} (fragment {})", n + overhead, m_peer_text, pieces + 1));
  }
  bump(m_counters.tx_packets);
  bump(m_counters.tx_bytes, pkt.size());
  bump(m_counters.tx_fragmented);
  return true;
}

void Engine::Loop::answer_too_big(std::span<const std::uint8_t> pkt, std::uint32_t mtu) {
  // Counted before the reply is written, so whoever sees the ICMP also sees the count.
  bump(m_counters.drop(DropReason::too_big));
  const std::size_t n = build_packet_too_big(pkt, mtu, m_icmp);
  const bool sent = n > 0 && ::write(m_cfg.tun_fd, m_icmp.data(), n) == static_cast<ssize_t>(n);
  if (m_cfg.log)
    m_cfg.log(fmt::format("drop {} bytes from {}: {} (mtu {}, {})", pkt.size(), k_tun_label,
                          to_string(DropReason::too_big), mtu,
                          sent ? "ICMP sent" : n > 0 ? "ICMP write failed" : "no ICMP allowed"));
}

} // namespace fouctl::relay
