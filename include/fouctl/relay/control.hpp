#pragma once
// A relay's control socket: an abstract AF_UNIX SOCK_SEQPACKET socket named
// "fouctl/relay/<tunnel>". Abstract names belong to the network namespace and vanish with
// the process, so a relay needs no pid or state file and a `kill -9` leaves nothing.
// Binding the name is also the per-tunnel lock: a second relay of the same name fails.
//   request "status" -> one JSON object (the relay's settings and counters)
//   request "stop"   -> "ok"; the relay exits (root or the relay's own user only)
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

class ControlServer {
public:
  // ErrorKind::conflict if a relay of that name runs in this network namespace.
  static util::Result<ControlServer> bind(const std::string &tunnel);
  // Answers requests until `stop_fd` is readable. Runs in its own thread.
  void serve(int stop_fd, const std::function<std::string()> &status,
             const std::function<void()> &on_stop) const;
  [[nodiscard]] int fd() const { return m_fd.get(); }

private:
  explicit ControlServer(util::UniqueFd fd) : m_fd(std::move(fd)) {}
  util::UniqueFd m_fd;
};

struct ControlReply {
  pid_t pid = 0;      // the relay's pid (SO_PEERCRED)
  std::string text;
};

// Sends `request` to the relay of `tunnel`; ErrorKind::not_found if none runs here.
util::Result<ControlReply> control_request(const std::string &tunnel, const std::string &request);

// Names of the tunnels whose relays run in this network namespace (/proc/self/net/unix).
std::vector<std::string> list_relays();

} // namespace fouctl::relay
