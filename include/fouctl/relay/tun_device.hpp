#pragma once
// Opening a TUN device (IFF_TUN | IFF_NO_PI: every read/write is one bare IP packet,
// exactly the FOU-direct UDP payload).
#include <string>

#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

// Creates TUN device `name`, owned by the returned fd: the kernel removes the device,
// with its addresses and routes, when the last holder of the fd exits, however it exits.
// The caller must have checked that no device of that name exists (TUNSETIFF would
// otherwise attach to a persistent device of that name).
util::Result<util::UniqueFd> create_tun(const std::string &name);

// Attaches to an existing persistent TUN device (`ip tuntap add dev NAME mode tun user U`);
// works unprivileged for its owner. The device outlives the relay.
util::Result<util::UniqueFd> attach_tun(const std::string &name);

} // namespace fouctl::relay
