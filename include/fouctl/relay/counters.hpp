#pragma once
// Relay traffic counters, written by the engine's thread and read by the control thread
// for `fouctl status`.
//
// Single-writer rule: only the Engine writes, with relaxed load+store (bump()), which compiles
// to plain moves on x86-64 and arm64 (no locked instruction per batch). Readers use relaxed
// loads (snapshot()); each field is then exact, though fields may be a batch apart.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fouctl::relay {

// Why a packet was not delivered. Keep count_ last: it sizes Counters::drops.
enum class DropReason : std::uint8_t {
  foreign_source, // UDP datagram not from the configured peer (address, or port when fixed)
  malformed,      // not one complete IPv4/IPv6 packet (either direction), truncated, or a bad
                  // tun_pi or GUE header
  too_big,        // longer than the inner MTU or the path MTU; an ICMP error was sent when allowed
  tun_write,      // write() to the TUN device failed (EINVAL, ENOMEM, EAGAIN...)
  udp_send,       // sendmmsg() failed for that packet (ENOBUFS, ECONNREFUSED, EHOSTUNREACH...)
  count_,
};

inline constexpr std::size_t k_drop_reasons = static_cast<std::size_t>(DropReason::count_);

// "foreign_source", "malformed", ...: stable names for logs and `fouctl status --json`.
const char *to_string(DropReason reason);


struct Counters {
  std::atomic<std::uint64_t> rx_packets{0}; // UDP -> TUN: decapsulated and written to the TUN
  std::atomic<std::uint64_t> rx_bytes{0};   //   inner packet bytes (framing header excluded)
  std::atomic<std::uint64_t> tx_packets{0}; // TUN -> UDP: encapsulated and sent
  std::atomic<std::uint64_t> tx_bytes{0};   //   inner packet bytes (framing header excluded)
  // UDP -> TUN packets whose TCP/UDP checksum the sender left for hardware and the relay
  // completed (complete_partial_checksum)
  std::atomic<std::uint64_t> rx_csum_completed{0};
  // TUN -> UDP IPv4 packets without DF that did not fit the path and went out as fragments
  // (each is also one of tx_packets)
  std::atomic<std::uint64_t> tx_fragmented{0};
  std::array<std::atomic<std::uint64_t>, k_drop_reasons> drops{};

  std::atomic<std::uint64_t> &drop(DropReason r) { return drops[static_cast<std::size_t>(r)]; }
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "shared-memory counters need lock-free 64-bit atomics");

// Adds n; valid only for the single writer (a load and a store, not a read-modify-write).
inline void bump(std::atomic<std::uint64_t> &c, std::uint64_t n = 1) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

// A plain copy for printing and comparing.
struct CounterSnapshot {
  std::uint64_t rx_packets = 0, rx_bytes = 0;
  std::uint64_t tx_packets = 0, tx_bytes = 0;
  std::uint64_t rx_csum_completed = 0;
  std::uint64_t tx_fragmented = 0;
  std::array<std::uint64_t, k_drop_reasons> drops{};

  [[nodiscard]] std::uint64_t drop(DropReason r) const {
    return drops[static_cast<std::size_t>(r)];
  }
  [[nodiscard]] std::uint64_t total_drops() const;
};

CounterSnapshot snapshot(const Counters &c);

} // namespace fouctl::relay
