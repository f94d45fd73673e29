#pragma once
// An exclusive flock(2) on a file. The kernel releases it however the holder exits, so a
// lock file left behind is never a stale lock. Whoever removes the file does so while
// holding the lock; a waiter that then wins the old, unlinked inode notices (the path no
// longer names the file it locked) and starts over, so two holders never coexist.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>

#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::util {

class FileLock {
public:
  // Takes the lock on `path` (created with `mode` if missing, never through a symlink),
  // waiting at most `timeout` (zero: one try); `on_wait` is called once if it has to wait.
  // ErrorKind::conflict on timeout, with the holder named when /proc/locks tells it.
  static Result<FileLock> acquire(const std::string &path, mode_t mode,
                                  std::chrono::milliseconds timeout,
                                  const std::function<void(const std::string &holder)> &on_wait);
  // Unlinks the file while still holding the lock, then releases it.
  void remove();
  [[nodiscard]] int fd() const { return m_fd.get(); }
  [[nodiscard]] const std::string &path() const { return m_path; }

private:
  FileLock(UniqueFd fd, std::string path) : m_fd(std::move(fd)), m_path(std::move(path)) {}
  UniqueFd m_fd;
  std::string m_path;
};

// "pid 1234 (uid 0, fouctl)" for the process /proc/locks names as holding a flock on the
// inode of `fd`; empty if none is listed. Informational only: nothing acts on that pid.
std::string describe_flock_holder(int fd);

// Closes every descriptor of this process except 0-2 and `keep` (for a forked daemon:
// it must not hold its parent's lock or netlink sockets).
void close_other_fds(std::initializer_list<int> keep);

} // namespace fouctl::util
