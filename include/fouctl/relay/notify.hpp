#pragma once
// The service manager's readiness protocol (sd_notify(3)): one datagram of KEY=VALUE
// lines to the unix socket named in $NOTIFY_SOCKET. Outside a Type=notify unit the
// variable is unset and this does nothing.
#include <string>

namespace fouctl::relay {

// Sends `state` (for example "READY=1\nSTATUS=..."); returns false if it could not be
// delivered. A missing $NOTIFY_SOCKET is not a failure.
bool notify_service_manager(const std::string &state);

} // namespace fouctl::relay
