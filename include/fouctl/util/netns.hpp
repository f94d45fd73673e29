#pragma once
// `fouctl -n NAME`: run in a named network namespace, as `ip -n NAME` does.
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::util {

// Moves this process into the network namespace /run/netns/NAME (made by `ip netns add`).
// Only the network namespace changes; the mount namespace (and with it /sys) stays.
// ErrorKind::usage for a malformed name, not_found when no such namespace exists.
Status enter_named_netns(const std::string &name);

// True once enter_named_netns succeeded: this process no longer shares PID 1's network
// namespace, whatever its environment says.
bool entered_named_netns();

} // namespace fouctl::util
