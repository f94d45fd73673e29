// check: validate a config file, with the same reader apply and plan use, so a file that
// passes `fouctl check` is one apply will accept.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ostream>

#include "fouctl/cli/check.hpp"
#include "fouctl/util/unique_fd.hpp"

namespace fouctl::cli {

using util::ErrorKind;
using util::fail;

namespace {

// A thousand tunnels take some 300 KiB; a file far larger than that is not a config (and
// reading /dev/zero by mistake must end).
constexpr std::size_t k_max_config_bytes = 1 << 20;

tl::unexpected<util::Error> unreadable(const std::string &path, int errnum) {
  return fail(ErrorKind::usage, "cannot read '" + path + "': " + std::strerror(errnum), errnum);
}

void print(const std::vector<config::Diagnostic> &errors, const std::string &path, const char *verb,
           std::ostream &err) {
  std::string prefix = verb ? std::string("fouctl ") + verb + ": " : "fouctl: ";
  for (const auto &d : errors)
    err << prefix << config::format(d, path) << '\n';
}

} // namespace

util::Result<std::string> read_config_text(const std::string &path) {
  util::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.valid())
    return unreadable(path, errno);
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return unreadable(path, errno); // EISDIR for a directory
    if (n == 0)
      return text;
    if (text.size() + static_cast<std::size_t>(n) > k_max_config_bytes)
      return fail(ErrorKind::usage, "'" + path + "' is larger than 1 MiB; not a fouctl config");
    text.append(buf, static_cast<std::size_t>(n));
  }
}

util::Result<config::Config> load_config_file(const std::string &path, std::ostream &err,
                                              const char *verb) {
  FOUCTL_TRY_ASSIGN(auto text, read_config_text(path));
  auto parsed = config::parse_config(text);
  if (parsed.config)
    return std::move(*parsed.config);
  print(parsed.errors, path, verb, err);
  auto n = parsed.error_count; // all of them, also those past the listed first ones
  return fail(ErrorKind::usage, "invalid configuration: " + std::to_string(n) +
                                    (n == 1 ? " error" : " errors") + " in '" + path +
                                    "'; nothing was changed");
}

util::Result<int> cmd_check(const Invocation &inv, std::ostream &out, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto text, read_config_text(inv.config_path));
  auto parsed = config::parse_config(text);
  if (!parsed.config) {
    print(parsed.errors, inv.config_path, "check", err);
    return k_exit_usage;
  }
  auto n = parsed.config->tunnels.size();
  out << inv.config_path << ": " << n << (n == 1 ? " tunnel" : " tunnels") << ", valid\n";
  return k_exit_ok;
}

} // namespace fouctl::cli
