#pragma once
// A relay's control socket: a unix SOCK_SEQPACKET socket at DIR/NAME, where DIR is the
// namespace's relay directory (backend/runtime.hpp), which only root, the relay's service
// user, or (for the unprivileged --tun-device relay) the invoking user can write to.
//   request "status" -> one JSON object (the relay's settings and counters)
//   request "stop"   -> "ok"; the relay exits (only the uids it was told may stop it)
// Both ends authenticate the other with SO_PEERCRED. The credentials a client sees are
// those of the process that called listen(): the relay itself, so its pid is known
// without believing anything it says. DIR/NAME.lock, held by the relay for its lifetime,
// is the per-tunnel lock: a second relay of the same name fails, and a socket file whose
// lock is free is stale (its relay was killed) and may be removed.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fouctl/util/file_lock.hpp"
#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

class ControlServer {
public:
  // Takes DIR/NAME.lock (ErrorKind::conflict if a relay of that name runs) and binds
  // DIR/NAME, replacing whatever socket file a dead relay left there. `replaced` tells
  // what was there if something still answered at that path (a squatter), else empty.
  ControlServer() = default;
  static util::Result<ControlServer> bind(const std::string &dir, const std::string &tunnel,
                                          std::string &replaced);
  // Called by the process that will serve: clients see its credentials.
  util::Status listen() const;
  // Answers requests until `stop_fd` is readable; "stop" only from a uid in `may_stop`.
  // `log` hears of refused requests. Runs in its own thread.
  void serve(int stop_fd, const std::vector<uid_t> &may_stop,
             const std::function<std::string()> &status, const std::function<void()> &on_stop,
             const std::function<void(const std::string &)> &log) const;
  [[nodiscard]] int fd() const { return m_fd.get(); }
  [[nodiscard]] int lock_fd() const { return m_lock ? m_lock->fd() : -1; }

private:
  ControlServer(util::UniqueFd fd, util::FileLock lock) : m_fd(std::move(fd)), m_lock(std::move(lock)) {}
  util::UniqueFd m_fd;
  std::optional<util::FileLock> m_lock;
};

// An authenticated connection to a relay.
class ControlClient {
public:
  // Connects to DIR/NAME. ErrorKind::not_found if no relay serves it; ErrorKind::conflict
  // if the process serving it is not of a `trusted` uid (the message names its uid and
  // pid). On success the server's pid is held as a pidfd taken right after the credential
  // check (see request()).
  static util::Result<ControlClient> connect(const std::string &dir, const std::string &tunnel,
                                             const std::vector<uid_t> &trusted);
  // Sends `request`, returns the answer (at most 64 KiB). An answer proves the serving
  // process was alive after the pidfd was opened, so the pidfd is the relay's, not a
  // process that took its pid after it died: pids are not reused while their process
  // exists, and only the relay holds the socket it answers on.
  util::Result<std::string> request(const std::string &request);
  [[nodiscard]] pid_t pid() const { return m_pid; }
  [[nodiscard]] uid_t uid() const { return m_uid; }
  // After a successful request(): SIGKILL to the relay through its pidfd.
  util::Status kill() const;
  // Waits up to `timeout_ms` for the relay process to exit.
  [[nodiscard]] bool wait_exit(int timeout_ms) const;

private:
  ControlClient() = default;
  util::UniqueFd m_fd;
  util::UniqueFd m_pidfd;
  pid_t m_pid = 0;
  uid_t m_uid = 0;
  bool m_proven = false;
};

// The tunnel names with a socket in DIR (at most 4096, names checked); whether a relay
// still serves each is for ControlClient::connect to find out.
std::vector<std::string> list_relays(const std::string &dir);

// Removes DIR/NAME and DIR/NAME.lock if no relay holds the lock (it was killed or
// stopped); true if they are gone.
bool remove_stale(const std::string &dir, const std::string &tunnel);

// True if `name` may be a tunnel (network device) name: 1-15 bytes, no '/', ':', space
// or control character, not "." or "..".
bool valid_tunnel_name(const std::string &name);

} // namespace fouctl::relay
