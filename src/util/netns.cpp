#include "fouctl/util/netns.hpp"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include "fouctl/util/unique_fd.hpp"

namespace fouctl::util {

namespace {
bool g_entered = false;
} // namespace

Status enter_named_netns(const std::string &name) {
  // The same rule as `ip netns add`: a single path component.
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos || name.size() > 255)
    return fail(ErrorKind::usage, "-n: '" + name + "' is not a network namespace name");
  const std::string path = "/run/netns/" + name;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    int e = errno;
    if (e == ENOENT)
      return fail(ErrorKind::usage, // a name that does not exist: a bad argument
                  "no network namespace '" + name + "' (" + path + " does not exist)", e);
    return fail_errno("opening " + path, e);
  }
  if (::setns(fd.get(), CLONE_NEWNET) != 0) {
    int e = errno;
    if (e == EINVAL)
      return fail(ErrorKind::usage, path + " is not a network namespace", e);
    return fail_errno("entering network namespace '" + name + "'", e);
  }
  g_entered = true;
  return {};
}

bool entered_named_netns() { return g_entered; }

} // namespace fouctl::util
