#include <ostream>

#include "fouctl/backend/kernel.hpp"
#include "fouctl/cli/commands.hpp"
#include "fouctl/config/tunnel.hpp"

namespace fouctl::cli {

using util::ErrorKind;

util::Result<int> cmd_down(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  // Without FOU in the kernel there can be no kernel FOU port to close; go on regardless.
  (void)kernel.ensure_available(false);
  FOUCTL_TRY_ASSIGN(auto obs, kernel.observe());

  bool by_port = inv.target.find_first_not_of("0123456789") == std::string::npos;
  const nl::LinkInfo *link = nullptr;
  if (by_port) {
    FOUCTL_TRY_ASSIGN(auto port, config::parse_port(inv.target, "RX_PORT"));
    link = obs.owned_by_port(port);
  } else {
    link = obs.link_by_name(inv.target);
    if (link && !backend::parse_mark(link->alias)) {
      auto e = util::fail(ErrorKind::conflict,
                          "device '" + inv.target + "' was not made by fouctl; leaving it alone");
      e.value().hint = "remove it with 'ip link del " + inv.target + "' if you mean to";
      return e;
    }
  }
  if (link == nullptr) {
    reporter.note("tunnel '" + inv.target + "' is not up; nothing to do");
    return k_exit_ok;
  }
  std::string name = link->name;
  FOUCTL_TRY(kernel.down(*link, obs, reporter));
  reporter.note("tunnel '" + name + "' is down");
  return k_exit_ok;
}

} // namespace fouctl::cli
