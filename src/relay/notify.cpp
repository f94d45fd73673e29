#include "fouctl/relay/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "fouctl/util/unique_fd.hpp"

namespace fouctl::relay {

bool notify_service_manager(const std::string &state) {
  const char *path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0')
    return true;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  // A filesystem path, or an abstract name written with a leading '@'.
  if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
    return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@')
    addr.sun_path[0] = '\0';
  util::UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return false;
  auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  return ::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr *>(&addr), addr_len) ==
         static_cast<ssize_t>(state.size());
}

} // namespace fouctl::relay
