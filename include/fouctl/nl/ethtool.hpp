#pragma once
// Device offload settings through the ethtool ioctl (SIOCETHTOOL), per network namespace.
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::nl {

// ethtool -K NAME tx on|off: whether the stack may leave checksums to the device. With it
// on, an ipip device hands encapsulated packets down with the inner TCP/UDP checksum
// unfinished (CHECKSUM_PARTIAL): fine for a kernel peer, which trusts the outer UDP
// checksum path, and for fouctl's relay, which completes them; wrong for any other program
// that reads the FOU payload (the seed's custom link). config::tx_checksum_offload() has
// the rule. `sock` is any socket of the device's namespace: the kernel passes device
// ioctls that a socket family does not handle itself (netlink included) on to the device
// layer.
util::Status set_tx_checksum_offload(int sock, const std::string &ifname, bool on);
// ethtool -k NAME: whether tx checksum offload is on.
util::Result<bool> tx_checksum_offload(int sock, const std::string &ifname);

} // namespace fouctl::nl
