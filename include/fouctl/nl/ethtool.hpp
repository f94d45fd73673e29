#pragma once
// Device offload settings through the ethtool ioctl (SIOCETHTOOL), per network namespace.
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::nl {

// ethtool -K NAME tx on|off: whether the stack may leave checksums to the device.
//
// fouctl turns it off on its ipip devices. With it on, the kernel hands an encapsulated
// packet down with the *inner* TCP/UDP checksum unfinished (CHECKSUM_PARTIAL), expecting a
// NIC to complete it. On paths that never reach such a NIC (loopback to the seed's
// custom link, veth, virtio between VMs) a program reading the UDP payload - a custom link,
// the userspace relay on the other end - gets packets whose inner checksum is wrong, and
// TCP through the tunnel stalls while ping works.
// `sock` is any socket of the device's namespace: the kernel passes device ioctls that a
// socket family does not handle itself (netlink included) on to the device layer.
util::Status set_tx_checksum_offload(int sock, const std::string &ifname, bool on);

} // namespace fouctl::nl
