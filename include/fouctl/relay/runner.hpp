#pragma once
// The relay process: everything around the Engine once the TUN device, the UDP socket and
// the control socket exist. Used for `up --foreground`, for the background relay that
// `up` forks, and by the systemd unit.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "fouctl/relay/control.hpp"
#include "fouctl/relay/engine.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

struct RelayProcess {
  std::string name;          // tunnel name (also the control socket's)
  util::UniqueFd tun;
  util::UniqueFd udp;
  ControlServer control;
  EngineConfig engine;       // tun_fd, udp_fd and stop_fd are filled in by run_relay
  std::string status_extra;  // JSON members describing the settings, without braces
  std::string summary;       // one line for systemd's STATUS=
  bool verbose = false;
  int ready_fd = -1;         // a pipe to write "ready\n" to once relaying (background up)
  std::vector<uid_t> may_stop{0}; // uids whose "stop" the relay obeys
  std::optional<std::pair<uid_t, gid_t>> run_as; // root switches to these once set up
};

// Blocks SIGINT/SIGTERM/SIGHUP (they stop the relay), listens on the control socket (so
// that clients see this process's credentials), gives up root (the open TUN and socket
// need no privilege), tells systemd READY=1 when NOTIFY_SOCKET is set, signals ready_fd,
// and relays until stopped. Returns the exit code.
int run_relay(RelayProcess p);

// As root: switches to `run_as` with no supplementary groups and no_new_privs. Not root
// (a service user given CAP_NET_ADMIN by its unit): clears every capability.
util::Status drop_privileges(const std::optional<std::pair<uid_t, gid_t>> &run_as);

} // namespace fouctl::relay
