#include "fouctl/relay/counters.hpp"

namespace fouctl::relay {

const char *to_string(DropReason reason) {
  switch (reason) {
  case DropReason::foreign_source:
    return "foreign_source";
  case DropReason::malformed:
    return "malformed";
  case DropReason::too_big:
    return "too_big";
  case DropReason::tun_write:
    return "tun_write";
  case DropReason::udp_send:
    return "udp_send";
  case DropReason::count_:
    break;
  }
  return "unknown";
}

std::uint64_t CounterSnapshot::total_drops() const {
  std::uint64_t sum = 0;
  for (auto d : drops)
    sum += d;
  return sum;
}

CounterSnapshot snapshot(const Counters &c) {
  constexpr auto relaxed = std::memory_order_relaxed;
  CounterSnapshot s;
  s.rx_packets = c.rx_packets.load(relaxed);
  s.rx_bytes = c.rx_bytes.load(relaxed);
  s.tx_packets = c.tx_packets.load(relaxed);
  s.tx_bytes = c.tx_bytes.load(relaxed);
  s.rx_csum_completed = c.rx_csum_completed.load(relaxed);
  s.tx_fragmented = c.tx_fragmented.load(relaxed);
  for (std::size_t i = 0; i < k_drop_reasons; ++i)
    s.drops[i] = c.drops[i].load(relaxed);
  return s;
}

} // namespace fouctl::relay
