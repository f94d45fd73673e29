#pragma once
// Relays as systemd services: when systemd runs the host, `apply` starts a config's relay
// tunnels as fouctl-relay@NAME.service (Type=notify, Restart=on-failure), so a crashed
// relay comes back and a reboot brings it back; without systemd it forks them itself.
#include <string>

#include "fouctl/backend/reporter.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::backend {

// True when systemd is PID 1, fouctl-relay@.service is installed, and this process is in
// PID 1's network namespace (a unit's relay would run there, not in ours).
bool relay_units_usable();

// systemctl start fouctl-relay@NAME.service, over systemd's private bus socket (as root)
// or the system bus; then waits (bounded) for the relay's control socket.
// When the relay does not come, the unit is stopped again.
// Before the start, a runtime drop-in (relay_peer_dropin) limits the unit's IP traffic to the
// tunnel's peer; it goes with the relay (forget_up_relay_unit).
util::Status start_relay_unit(const config::TunnelSpec &spec);
// The drop-in's text: IPAddressDeny=any, IPAddressAllow=PEER.
std::string relay_peer_dropin(const config::TunnelSpec &spec);

// `up` of a relay tunnel when systemd runs the host: writes the tunnel as a one-tunnel config
// to /run/fouctl/up/NAME.json, a runtime drop-in that hands it to fouctl-relay@NAME.service
// in place of /etc/fouctl/fouctl.json, reloads systemd and starts the unit. On failure it
// removes what it wrote.
util::Status start_up_relay_unit(const config::TunnelSpec &spec, Reporter &reporter);

// After a relay unit stopped: removes its drop-ins and `up`'s config (nothing if none).
void forget_up_relay_unit(const std::string &name);

} // namespace fouctl::backend
