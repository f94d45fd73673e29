// `fouctl relay NAME [-c FILE]`: one tunnel of the config as a foreground relay, for
// fouctl-relay@NAME.service (Type=notify: the relay sends READY=1 once it relays).
#include <algorithm>
#include <ostream>

#include "fouctl/backend/underlay.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/cli/check.hpp"
#include "fouctl/cli/commands.hpp"

namespace fouctl::cli {

using util::ErrorKind;

util::Result<int> cmd_relay(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto cfg, load_config_file(inv.config_path, err, "relay"));
  auto it = std::find_if(cfg.tunnels.begin(), cfg.tunnels.end(),
                         [&](auto &t) { return t.name == inv.target; });
  if (it == cfg.tunnels.end())
    return util::fail(ErrorKind::usage,
                      "no tunnel '" + inv.target + "' in " + inv.config_path);
  config::TunnelSpec spec = *it;
  if (spec.mode == config::Mode::kernel)
    return util::fail(ErrorKind::usage, "tunnel '" + spec.name +
                                            "' is a kernel tunnel (mode kernel), not a relay");
  spec.mode = config::Mode::userspace;
  FOUCTL_TRY_ASSIGN(auto mtu, backend::resolve_mtu(spec));
  if (mtu.from_underlay)
    reporter.note("MTU " + std::to_string(mtu.mtu) + ": " + mtu.source);
  // No namespace lock: `apply` holds it while it starts this unit and waits for it. The
  // relay's control socket name is the per-tunnel lock that keeps two relays apart.
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  bool changed = false;
  return relay.up(spec, {true, inv.verbose, {}}, reporter, changed);
}

} // namespace fouctl::cli
