#pragma once
// Where fouctl keeps its per-namespace lock and its relays' control sockets. /run is
// shared by every network namespace, so each namespace gets a directory named after its
// identity (device and inode of /proc/self/ns/net):
//   /run/fouctl/ns/<dev>-<ino>/lock            root's lock for up/down/apply (flock)
//   /run/fouctl/ns/<dev>-<ino>/relay/NAME      a relay's control socket (unix, SEQPACKET)
//   /run/fouctl/ns/<dev>-<ino>/relay/NAME.lock held by that relay for its whole life
// Only root (and, through the group of ns/ and relay/, the relay's service user) can
// create anything there, unlike the abstract socket names of earlier versions, which any
// local user could take first. A user running the unprivileged --tun-device relay (the
// ttun seed) keeps the same layout under /run/user/UID/fouctl/.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fouctl/util/file_lock.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::backend {

// The relay's system user, created by the package (sysusers.d). Relays started by root
// switch to it once set up; fouctl-relay@.service runs as it.
inline constexpr const char *k_service_user = "_fouctl";
struct ServiceUser {
  uid_t uid = 0;
  gid_t gid = 0;
};
// From the password database; nullopt when there is no such user.
std::optional<ServiceUser> service_user();

// "<dev>-<ino>" of this process's network namespace.
util::Result<std::string> netns_key();

struct RuntimeDir {
  std::string ns_dir;        // .../ns/<key>
  std::string relay_dir;     // .../ns/<key>/relay
  std::vector<uid_t> trusted; // the only uids whose sockets in relay_dir are believed
};

// The runtime directory of this process's user in this namespace. `create`: make what is
// missing (root or the user; the service user only uses what root made). Every existing
// directory is checked: a real directory (not a symlink), owned by root (by the user
// under /run/user), writable by nobody else (by the service group for ns/ and relay/).
util::Result<RuntimeDir> runtime_dir(bool create);
// The same for another user's relays under /run/user/UID, which root reads (never
// creates): nullopt when that user has none in this namespace or the directory is not
// exactly as that user's own runtime directory must be.
std::optional<RuntimeDir> user_runtime_dir(uid_t uid);

// One up, down or apply at a time per network namespace (root's, or the invoking user's).
// When released, the namespace's directory goes too if no relay uses it any more (and no
// relay unit may need it), so a namespace that is gone leaves nothing in /run.
class NamespaceLock {
public:
  // Waits up to `timeout`; `on_wait` is told who holds the lock, once.
  static util::Result<NamespaceLock>
  acquire(std::chrono::milliseconds timeout,
          const std::function<void(const std::string &holder)> &on_wait);
  NamespaceLock(NamespaceLock &&) noexcept = default;
  NamespaceLock &operator=(NamespaceLock &&) noexcept = default;
  ~NamespaceLock();

private:
  NamespaceLock(util::FileLock lock, RuntimeDir dir)
      : m_lock(std::move(lock)), m_dir(std::move(dir)) {}
  std::optional<util::FileLock> m_lock;
  RuntimeDir m_dir;
};

} // namespace fouctl::backend
