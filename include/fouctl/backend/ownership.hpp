#pragma once
// How fouctl marks what it owns. The mark lives in the kernel, per network namespace, as
// the device alias ("ip link show" prints it), so it needs no state file and cannot leak
// between namespaces. Routes are marked with rtm_protocol k_rtprot_fouctl; the FOU port
// of a tunnel is the one its device's mark names.
#include <cstdint>
#include <optional>
#include <string>

namespace fouctl::backend {

struct OwnerMark {
  std::string mode;        // "kernel" or "userspace"
  std::uint16_t rx_port = 0;
  std::uint16_t tx_port = 0;
  bool mtu_auto = false;   // the MTU was not given: it follows the underlay
  bool operator==(const OwnerMark &) const = default;
};

// "fouctl:v1 mode=kernel rx=2001 tx=2002", then " mtu=auto" when the MTU came from the
// underlay. Unknown keys are ignored, so older marks still parse.
std::string format_mark(const OwnerMark &m);
// Any alias that does not start with "fouctl:v1 " is not ours.
std::optional<OwnerMark> parse_mark(const std::string &alias);

} // namespace fouctl::backend
