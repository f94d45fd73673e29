#include "fouctl/util/file_lock.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace fouctl::util {

namespace {

constexpr auto k_poll = std::chrono::milliseconds(50);
constexpr int k_max_restarts = 100; // the file replaced under us this often: give up

// True if `path` still names the inode `fd` refers to.
bool still_linked(int fd, const std::string &path) {
  struct stat a {}, b {};
  return ::fstat(fd, &a) == 0 && ::lstat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

std::string read_small(const std::string &path, std::size_t max) {
  std::ifstream in(path);
  std::string s(max, '\0');
  in.read(s.data(), static_cast<std::streamsize>(max));
  s.resize(static_cast<std::size_t>(in.gcount()));
  return s;
}

} // namespace

Result<FileLock> FileLock::acquire(const std::string &path, mode_t mode,
                                   std::chrono::milliseconds timeout,
                                   const std::function<void(const std::string &)> &on_wait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool told = false;
  for (int restarts = 0; restarts < k_max_restarts; ++restarts) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd.valid())
      return fail_errno("opening the lock file " + path, errno);
    for (;;) {
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) == 0)
        break;
      if (errno != EWOULDBLOCK && errno != EINTR)
        return fail_errno("locking " + path, errno);
      std::string holder = describe_flock_holder(fd.get());
      if (std::chrono::steady_clock::now() >= deadline) {
        auto e = fail(ErrorKind::conflict,
                      path + " is still locked" + (holder.empty() ? "" : " by " + holder) +
                          " after " + std::to_string((timeout.count() + 500) / 1000) + " s");
        return e;
      }
      if (!told && on_wait) {
        on_wait(holder);
        told = true;
      }
      std::this_thread::sleep_for(k_poll);
    }
    if (still_linked(fd.get(), path))
      return FileLock(std::move(fd), path);
    // The holder removed the file before we got it: lock the one the path names now.
  }
  return fail(ErrorKind::system, path + " keeps being replaced; cannot lock it");
}

void FileLock::remove() {
  if (m_fd.valid())
    ::unlink(m_path.c_str());
  m_fd.reset();
}

std::string describe_flock_holder(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return {};
  // Lines like "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; the inode field is
  // MAJOR:MINOR:INODE in hex:hex:decimal.
  char want[64];
  std::snprintf(want, sizeof want, "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long>(st.st_ino));
  std::istringstream in(read_small("/proc/locks", 1 << 20));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, type, adv, rw, pid, inode;
    if (!(f >> id >> type) || type == "->")
      continue;
    if (!(f >> adv >> rw >> pid >> inode) || type != "FLOCK" || inode != want)
      continue;
    std::string who = "pid " + pid;
    std::istringstream status(read_small("/proc/" + pid + "/status", 4096));
    std::string key, comm, uid;
    while (status >> key) {
      if (key == "Name:")
        status >> comm;
      else if (key == "Uid:") {
        status >> uid;
        break;
      }
    }
    if (!uid.empty())
      who += " (uid " + uid + (comm.empty() ? "" : ", " + comm) + ")";
    return who;
  }
  return {};
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
