#pragma once
// A lock per network namespace: an abstract unix socket name, which belongs to the
// namespace and is released by the kernel however the holder exits (no stale lock files).
#include <chrono>
#include <functional>
#include <string>

#include "fouctl/util/result.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::util {

class NamespaceLock {
public:
  // Takes the lock `name`, waiting at most `timeout`; `on_wait` is called once if it has
  // to wait. ErrorKind::conflict on timeout.
  static Result<NamespaceLock> acquire(const std::string &name, std::chrono::milliseconds timeout,
                                       const std::function<void()> &on_wait);
  [[nodiscard]] int fd() const { return m_fd.get(); }

private:
  explicit NamespaceLock(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

// Closes every descriptor of this process except 0-2 and `keep` (for a forked daemon:
// it must not hold its parent's lock or netlink sockets).
void close_other_fds(std::initializer_list<int> keep);

} // namespace fouctl::util
