#include "fouctl/relay/control.hpp"

#include <dirent.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace fouctl::relay {

using util::ErrorKind;
using util::fail;

namespace {

constexpr int k_io_timeout_ms = 2000;
constexpr std::size_t k_max_reply = 64 * 1024;
constexpr std::size_t k_max_request = 64;
constexpr int k_max_dir_entries = 8192;

util::Result<socklen_t> make_addr(const std::string &path, sockaddr_un &sa) {
  sa = {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return fail(ErrorKind::usage, "the control socket path " + path + " is too long");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
}

void set_timeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::optional<ucred> peer_of(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
    return std::nullopt;
  return cred;
}

std::string describe(const ucred &c) {
  return "uid " + std::to_string(c.uid) + " (pid " + std::to_string(c.pid) + ")";
}

// Connects to `path` without believing anything yet; -errno on failure.
int raw_connect(const std::string &path, util::UniqueFd &fd) {
  sockaddr_un sa;
  auto len = make_addr(path, sa);
  if (!len)
    return -ENAMETOOLONG;
  fd.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return -errno;
  set_timeout(fd.get(), k_io_timeout_ms);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), *len) < 0)
    return -errno;
  return 0;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

} // namespace

bool valid_tunnel_name(const std::string &name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..")
    return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return c == '/' || c == ':' || u <= 0x20 || u == 0x7f;
  });
}

util::Result<ControlServer> ControlServer::bind(const std::string &dir, const std::string &tunnel,
                                                std::string &replaced) {
  replaced.clear();
  if (!valid_tunnel_name(tunnel))
    return fail(ErrorKind::usage, "'" + tunnel + "' is not a tunnel name");
  const std::string path = dir + "/" + tunnel;
  // 0644: root reads the service user's lock file without CAP_DAC_OVERRIDE (the
  // directory already keeps everyone else out).
  auto lock = util::FileLock::acquire(path + ".lock", 0644, std::chrono::milliseconds(0), {});
  if (!lock) {
    if (lock.error().kind == ErrorKind::conflict)
      return fail(ErrorKind::conflict,
                  "a relay for tunnel '" + tunnel + "' already runs in this network namespace");
    return tl::unexpected(lock.error());
  }
  // Nobody holds the lock, so no relay of ours serves this path: whatever is there is a
  // dead relay's socket file, or a socket someone planted (say which).
  util::UniqueFd probe;
  if (raw_connect(path, probe) == 0)
    if (auto c = peer_of(probe.get()))
      replaced = describe(*c);
  probe.reset();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return util::fail_errno("removing the old control socket " + path, errno);

  util::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid())
    return util::fail_errno("creating the relay's control socket", errno);
  sockaddr_un sa;
  FOUCTL_TRY_ASSIGN(auto len, make_addr(path, sa));
  if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), len) < 0)
    return util::fail_errno("binding the relay's control socket " + path, errno);
  // Connecting needs write permission on the socket file. Root (without
  // CAP_DAC_OVERRIDE, as in fouctl.service) must reach the service user's sockets; the
  // directory is what keeps everyone else away.
  if (::chmod(path.c_str(), 0666) != 0)
    return util::fail_errno("setting the mode of " + path, errno);
  return ControlServer(std::move(fd), std::move(*lock));
}

util::Status ControlServer::listen() const {
  if (::listen(m_fd.get(), 8) < 0)
    return util::fail_errno("listening on the relay's control socket", errno);
  return {};
}

void ControlServer::serve(int stop_fd, const std::vector<uid_t> &may_stop,
                          const std::function<std::string()> &status,
                          const std::function<void()> &on_stop,
                          const std::function<void(const std::string &)> &log) const {
  for (;;) {
    pollfd p[2] = {{m_fd.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (p[1].revents != 0)
      return;
    util::UniqueFd conn(::accept4(m_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid())
      continue;
    set_timeout(conn.get(), k_io_timeout_ms);
    char req[k_max_request];
    ssize_t n = ::recv(conn.get(), req, sizeof req, MSG_TRUNC);
    auto cred = peer_of(conn.get());
    if (n <= 0 || !cred)
      continue;
    std::string_view r(req, std::min(static_cast<std::size_t>(n), sizeof req));
    if (static_cast<std::size_t>(n) > sizeof req)
      r = {};
    std::string reply;
    bool stop = false;
    if (r == "status") {
      reply = status();
    } else if (r == "stop") {
      // The connecting process's credentials at connect(): a descriptor handed on later
      // still speaks for whoever opened it.
      if (std::find(may_stop.begin(), may_stop.end(), cred->uid) != may_stop.end()) {
        reply = "ok";
        stop = true;
      } else {
        reply = "error: " + describe(*cred) + " may not stop this relay";
        if (log)
          log("refused 'stop' from " + describe(*cred));
      }
    } else {
      reply = "error: unknown request";
    }
    ::send(conn.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    if (stop) {
      on_stop();
      return;
    }
  }
}

util::Result<ControlClient> ControlClient::connect(const std::string &dir,
                                                   const std::string &tunnel,
                                                   const std::vector<uid_t> &trusted) {
  if (!valid_tunnel_name(tunnel))
    return fail(ErrorKind::usage, "'" + tunnel + "' is not a tunnel name");
  const std::string path = dir + "/" + tunnel;
  ControlClient c;
  if (int r = raw_connect(path, c.m_fd); r < 0) {
    if (r == -ECONNREFUSED || r == -ENOENT)
      return fail(ErrorKind::not_found, "no relay for tunnel '" + tunnel + "' runs here");
    return util::fail_errno("connecting to the relay of '" + tunnel + "' (" + path + ")", -r);
  }
  auto cred = peer_of(c.m_fd.get());
  if (!cred)
    return util::fail_errno("reading the credentials of " + path, errno);
  if (std::find(trusted.begin(), trusted.end(), cred->uid) == trusted.end() || cred->pid <= 1) {
    auto e = fail(ErrorKind::conflict, path + " is served by " + describe(*cred) +
                                           ", not by a fouctl relay; ignoring it");
    e.value().hint = "find out who made it; fouctl replaces it at the next 'up' of '" + tunnel + "'";
    return e;
  }
  c.m_pid = cred->pid;
  c.m_uid = cred->uid;
  c.m_pidfd.reset(pidfd_open(cred->pid));
  if (!c.m_pidfd.valid())
    return fail(ErrorKind::not_found, "the relay of '" + tunnel + "' exited");
  return c;
}

util::Result<std::string> ControlClient::request(const std::string &request) {
  if (::send(m_fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0)
    return util::fail_errno("talking to relay pid " + std::to_string(m_pid), errno);
  std::string buf(k_max_reply, '\0');
  ssize_t n = ::recv(m_fd.get(), buf.data(), buf.size(), 0);
  if (n < 0)
    return util::fail_errno("waiting for relay pid " + std::to_string(m_pid), errno);
  if (n == 0)
    return fail(ErrorKind::not_found, "relay pid " + std::to_string(m_pid) + " hung up");
  buf.resize(static_cast<std::size_t>(n));
  m_proven = true;
  return buf;
}

util::Status ControlClient::kill() const {
  if (!m_proven || !m_pidfd.valid())
    return fail(ErrorKind::system, "relay pid " + std::to_string(m_pid) + " was never proven alive");
  if (::syscall(SYS_pidfd_send_signal, m_pidfd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
    return util::fail_errno("killing relay pid " + std::to_string(m_pid), errno);
  return {};
}

bool ControlClient::wait_exit(int timeout_ms) const {
  if (!m_pidfd.valid())
    return true;
  pollfd p{m_pidfd.get(), POLLIN, 0};
  int r = 0;
  do
    r = ::poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

std::vector<std::string> list_relays(const std::string &dir) {
  std::vector<std::string> out;
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr)
    return out;
  int seen = 0;
  while (dirent *e = ::readdir(d)) {
    if (++seen > k_max_dir_entries)
      break;
    std::string name = e->d_name;
    if (!valid_tunnel_name(name))
      continue;
    bool sock = e->d_type == DT_SOCK;
    if (e->d_type == DT_UNKNOWN) {
      struct stat st {};
      sock = ::lstat((dir + "/" + name).c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
    }
    if (sock)
      out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

bool remove_stale(const std::string &dir, const std::string &tunnel) {
  if (!valid_tunnel_name(tunnel))
    return false;
  const std::string path = dir + "/" + tunnel;
  auto lock = util::FileLock::acquire(path + ".lock", 0644, std::chrono::milliseconds(0), {});
  if (!lock)
    return false;
  ::unlink(path.c_str());
  lock->remove();
  return true;
}

} // namespace fouctl::relay
