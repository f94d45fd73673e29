#include "fouctl/util/ns_lock.hpp"

#include <dirent.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace fouctl::util {

Result<NamespaceLock> NamespaceLock::acquire(const std::string &name,
                                             std::chrono::milliseconds timeout,
                                             const std::function<void()> &on_wait) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return fail_errno("creating the lock socket", errno);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path + 1, name.data(), std::min(name.size(), sizeof sa.sun_path - 2));
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 +
                                    std::min(name.size(), sizeof sa.sun_path - 2));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  for (;;) {
    if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), len) == 0)
      return NamespaceLock(std::move(fd));
    if (errno != EADDRINUSE)
      return fail_errno("taking the lock '" + name + "'", errno);
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorKind::conflict,
                  "another fouctl run in this network namespace still holds the lock after " +
                      std::to_string(timeout.count() / 1000) + " s");
    if (!told && on_wait) {
      on_wait();
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void close_other_fds(std::initializer_list<int> keep) {
  std::vector<int> fds;
  if (DIR *d = ::opendir("/proc/self/fd")) {
    while (dirent *e = ::readdir(d))
      if (e->d_name[0] != '.')
        fds.push_back(std::atoi(e->d_name));
    ::closedir(d);
  }
  for (int fd : fds)
    if (fd > 2 && std::find(keep.begin(), keep.end(), fd) == keep.end())
      ::close(fd); // includes the directory's own fd, already closed: EBADF is harmless
}

} // namespace fouctl::util
