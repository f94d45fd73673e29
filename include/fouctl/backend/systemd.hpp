#pragma once
// Relays as systemd services: when systemd runs the host, `apply` starts a config's relay
// tunnels as fouctl-relay@NAME.service (Type=notify, Restart=on-failure), so a crashed
// relay comes back and a reboot brings it back; without systemd it forks them itself.
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::backend {

// True when systemd is PID 1, fouctl-relay@.service is installed, and this process is in
// PID 1's network namespace (a unit's relay would run there, not in ours).
bool relay_units_usable();

// systemctl start fouctl-relay@NAME.service, over systemd's private bus socket (as root)
// or the system bus; then waits (bounded) for the relay's control socket.
util::Status start_relay_unit(const std::string &name);

} // namespace fouctl::backend
