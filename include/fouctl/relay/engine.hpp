#pragma once
// The userspace FOU relay: moves packets between a TUN device and a UDP socket, wire
// compatible with kernel FOU "direct" encapsulation (one bare IP packet per UDP payload) and,
// with Framing::gue, with a kernel GUE port (a 4-byte GUE header before the packet).
//
// Performance: one epoll loop (level-triggered); UDP -> TUN receives up to k_batch datagrams
// per recvmmsg() and writes each packet to the TUN (TUN takes one packet per write());
// TUN -> UDP drains up to k_batch packets with non-blocking read()s and sends them with one
// sendmmsg(). Buffers are allocated once, in the constructor: 2 x k_batch slots of
// k_slot_bytes (about 8 MiB of address space, touched only as far as packets fill it).
// Without a log callback a packet costs its read/write on the TUN and nothing else: no heap
// allocation, no formatting, counters bumped once per batch.
//
// Send backpressure: when sendmmsg() fails with EAGAIN (socket send buffer full), the unsent
// rest of the batch is kept, the loop stops reading the TUN and waits for EPOLLOUT on the UDP
// socket, then sends the rest and resumes. Packets then queue in the TUN device, whose
// txqueuelen drops the excess like any full device queue would.
//
// Errors: run() returns an Error only for a fatal condition: the TUN or UDP fd is invalid or
// hung up (EBADF, EBADFD: e.g. the TUN device was deleted), epoll fails, or the config is
// unusable. Per-packet failures are counted (Counters::drops) and the loop goes on:
// EAGAIN/EINTR/ENOBUFS/ECONNREFUSED/EHOSTUNREACH on UDP, a rejected TUN write, garbage input.
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "fouctl/relay/counters.hpp"
#include "fouctl/relay/packet.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::relay {

struct EngineConfig {
  // TUN opened with IFF_TUN | IFF_NO_PI. One packet per read()/write(); TUN has no
  // recvmmsg. run() sets O_NONBLOCK on it (and on udp_fd) if the caller has not.
  int tun_fd = -1;
  // UDP socket bound to local:RX_PORT and NOT connected: kernel FOU picks its source port
  // per flow (a hash of the inner flow), so the peer's datagrams come from many ports.
  // Prepare it with tune_udp_socket() (udp.hpp).
  int udp_fd = -1;
  // Where to send: peer:TX_PORT. AF_INET (AF_INET6 works the same way).
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  // Also require the datagram's source port to equal the peer's port (a peer with a fixed
  // source port, e.g. socat or kernel FOU with encap-sport). Otherwise any port is accepted
  // from the peer's address.
  bool peer_port_fixed = false;
  Framing framing = Framing::raw; // framing of the UDP payloads (the TUN side is always raw)
  // Inner MTU, 68..65535: a packet read from the TUN that is longer gets an ICMP "too big"
  // written back into the TUN (build_packet_too_big) and is counted too_big. Set the TUN
  // device's MTU to the same value so the kernel fragments or signals before we see it.
  std::uint32_t mtu = 1472;
  // eventfd or pipe read end: once readable (or hung up), run() returns success. It is not
  // read, so one eventfd can stop several engines.
  int stop_fd = -1;
  // The -v flag: when set, one line per datagram and per drop, like `socat -ddd`:
  //   "< 84 bytes from 10.0.0.2:5555"                  UDP datagram received (payload bytes)
  //   "> 84 bytes to 10.0.0.2:5556"                    UDP datagram sent (payload bytes)
  //   "drop 84 bytes from 10.0.0.9:5555: foreign_source"   UDP side
  //   "drop 1500 bytes from tun: too_big (mtu 1400, ICMP sent)"   TUN side
  // It runs on the engine's thread and must not block for long. When unset, no per-packet
  // work is done beyond the counters.
  std::function<void(std::string_view)> log;
};

class Engine {
public:
  static constexpr std::size_t k_batch = 64; // packets per recvmmsg / TUN drain / sendmmsg
  // Largest IP packet (65535) plus a framing header (tun_pi, GUE), rounded up.
  static constexpr std::size_t k_slot_bytes = 65536 + 64;

  // `counters` must outlive the engine; it may live in shared memory (see counters.hpp).
  // The fds stay owned by the caller.
  Engine(EngineConfig cfg, Counters &counters);
  ~Engine();
  Engine(Engine &&) noexcept;
  Engine &operator=(Engine &&) = delete;
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  // Relays until stop_fd becomes readable (returns success) or a fatal error (see above).
  // May be called again after it returned.
  util::Status run();

private:
  class Loop;
  std::unique_ptr<Loop> m_loop;
};

} // namespace fouctl::relay
