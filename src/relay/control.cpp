#include "fouctl/relay/control.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace fouctl::relay {

using util::ErrorKind;
using util::fail;

namespace {

constexpr std::string_view k_prefix = "fouctl/relay/";
constexpr int k_io_timeout_ms = 2000;

socklen_t make_addr(const std::string &tunnel, sockaddr_un &sa) {
  sa = {};
  sa.sun_family = AF_UNIX;
  std::string name = std::string(k_prefix) + tunnel;
  // Abstract: sun_path starts with NUL and is not NUL-terminated.
  std::memcpy(sa.sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

void set_timeout(int fd, int ms) {
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

} // namespace

util::Result<ControlServer> ControlServer::bind(const std::string &tunnel) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid())
    return util::fail_errno("creating the relay's control socket", errno);
  sockaddr_un sa;
  socklen_t len = make_addr(tunnel, sa);
  if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&sa), len) < 0) {
    if (errno == EADDRINUSE)
      return fail(ErrorKind::conflict,
                  "a relay for tunnel '" + tunnel + "' already runs in this network namespace");
    return util::fail_errno("binding the relay's control socket", errno);
  }
  if (::listen(fd.get(), 8) < 0)
    return util::fail_errno("listening on the relay's control socket", errno);
  return ControlServer(std::move(fd));
}

void ControlServer::serve(int stop_fd, const std::function<std::string()> &status,
                          const std::function<void()> &on_stop) const {
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
    char req[64];
    ssize_t n = ::recv(conn.get(), req, sizeof req, 0);
    if (n <= 0)
      continue;
    std::string_view r(req, static_cast<std::size_t>(n));
    ucred cred{};
    socklen_t clen = sizeof cred;
    ::getsockopt(conn.get(), SOL_SOCKET, SO_PEERCRED, &cred, &clen);
    std::string reply;
    bool stop = false;
    if (r == "status") {
      reply = status();
    } else if (r == "stop") {
      // Anyone in the namespace may read counters; only root or our own user may stop us.
      if (cred.uid == 0 || cred.uid == ::getuid()) {
        reply = "ok";
        stop = true;
      } else {
        reply = "error: permission denied";
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

util::Result<ControlReply> control_request(const std::string &tunnel, const std::string &request) {
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return util::fail_errno("creating a control socket", errno);
  set_timeout(fd.get(), k_io_timeout_ms);
  sockaddr_un sa;
  socklen_t len = make_addr(tunnel, sa);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), len) < 0) {
    if (errno == ECONNREFUSED || errno == ENOENT)
      return fail(ErrorKind::not_found, "no relay for tunnel '" + tunnel + "' runs here");
    return util::fail_errno("connecting to the relay of '" + tunnel + "'", errno);
  }
  ControlReply out;
  ucred cred{};
  socklen_t clen = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
    out.pid = cred.pid;
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0)
    return util::fail_errno("talking to the relay of '" + tunnel + "'", errno);
  std::string buf(64 * 1024, '\0');
  ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
  if (n < 0)
    return util::fail_errno("waiting for the relay of '" + tunnel + "'", errno);
  buf.resize(static_cast<std::size_t>(n));
  out.text = std::move(buf);
  return out;
}

std::vector<std::string> list_relays() {
  // Lines end with the path; abstract names are shown with a leading '@'.
  std::vector<std::string> out;
  std::ifstream in("/proc/self/net/unix");
  std::string line;
  std::string marker = "@" + std::string(k_prefix);
  while (std::getline(in, line)) {
    auto at = line.find(marker);
    if (at == std::string::npos || line.find(' ', at) != std::string::npos)
      continue;
    std::string name = line.substr(at + marker.size());
    // A listening socket and its accepted connections share the name: keep one.
    bool seen = false;
    for (const auto &n : out)
      seen = seen || n == name;
    if (!seen && !name.empty())
      out.push_back(name);
  }
  return out;
}

} // namespace fouctl::relay
