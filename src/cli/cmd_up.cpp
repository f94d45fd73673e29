#include <ostream>

#include "fouctl/backend/kernel.hpp"
#include "fouctl/cli/commands.hpp"

namespace fouctl::cli {

using util::ErrorKind;

util::Result<int> cmd_up(const Invocation &inv, std::ostream &, std::ostream &err) {
  const auto &spec = inv.spec;
  StreamReporter reporter(err, inv.quiet);
  if (spec.mode == config::Mode::userspace) {
    auto e = util::fail(ErrorKind::missing, "the userspace relay is not available in this version");
    e.value().hint = "use --mode kernel";
    return e;
  }
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  if (auto avail = kernel.ensure_available(); !avail) {
    auto e = avail.error();
    if (spec.mode == config::Mode::automatic)
      e.hint = "the userspace relay fallback is not available in this version";
    else
      e.hint = "load the module or use a kernel with " +
               std::string(e.message.find("ipip") != std::string::npos ? "CONFIG_NET_IPIP"
                                                                        : "CONFIG_NET_FOU");
    return tl::unexpected(e.kind == ErrorKind::missing ? e : e);
  }
  FOUCTL_TRY_ASSIGN(bool changed, kernel.up(spec, reporter));
  reporter.note(changed ? "tunnel '" + spec.name + "' is up (kernel FOU/IPIP)"
                        : "tunnel '" + spec.name + "' is already up as asked; nothing changed");
  return k_exit_ok;
}

} // namespace fouctl::cli
