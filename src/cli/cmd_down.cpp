#include <ostream>

#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/cli/commands.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::cli {

using util::ErrorKind;

util::Result<int> cmd_down(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  bool by_port = inv.target.find_first_not_of("0123456789") == std::string::npos;
  std::uint16_t port = 0;
  if (by_port) {
    FOUCTL_TRY_ASSIGN(port, config::parse_port(inv.target, "RX_PORT"));
  }

  // A relay? Found by its control socket (name) or its settings (port).
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  std::string relay_name;
  if (!by_port && relay::control_request(inv.target, "status"))
    relay_name = inv.target;
  if (by_port)
    for (const auto &s : relay.list())
      if (s.rx_port == port)
        relay_name = s.name;
  if (!relay_name.empty()) {
    FOUCTL_TRY(relay.down(relay_name, reporter));
    reporter.note("tunnel '" + relay_name + "' is down");
    return k_exit_ok;
  }

  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  // Without FOU in the kernel there can be no kernel FOU port to close; go on regardless.
  (void)kernel.ensure_available(false);
  FOUCTL_TRY_ASSIGN(auto obs, kernel.observe());
  const nl::LinkInfo *link = nullptr;
  if (by_port) {
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
