// apply and plan: one code path; plan stops before executing.
#include <ostream>

#include "fouctl/backend/reconcile.hpp"
#include "fouctl/backend/systemd.hpp"
#include "fouctl/cli/check.hpp"
#include "fouctl/cli/commands.hpp"

namespace fouctl::cli {

namespace {

// The backends, what the system has, and what the config asks for.
struct Reconcile {
  backend::KernelBackend &kernel;
  backend::UserspaceBackend &relay;
  bool kernel_ok = false;
  backend::Observed obs{};
  std::vector<plan::Action> actions{};
};

util::Status prepare(Reconcile &r, const Invocation &inv, std::ostream &err, bool load_modules) {
  FOUCTL_TRY_ASSIGN(auto cfg, load_config_file(inv.config_path, err));
  r.kernel_ok = static_cast<bool>(r.kernel.ensure_available(load_modules));
  backend::Live live{r.kernel, r.kernel_ok, r.relay};
  FOUCTL_TRY_ASSIGN(auto have, backend::observed_state(live, r.obs));
  auto want = backend::desired_state(cfg.tunnels, r.kernel_ok);
  r.actions = plan::make_plan(have, want);
  return {};
}

} // namespace

util::Result<std::vector<plan::Action>> pending_actions(const Invocation &inv, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  Reconcile r{kernel, relay};
  FOUCTL_TRY(prepare(r, inv, err, false));
  return r.actions;
}

util::Result<int> cmd_plan(const Invocation &inv, std::ostream &out, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto actions, pending_actions(inv, err));
  for (const auto &a : actions)
    out << plan::describe(a) << '\n';
  if (actions.empty()) {
    out << "nothing to do: the system matches " << inv.config_path << '\n';
    return k_exit_ok;
  }
  return k_exit_drift;
}

util::Result<int> cmd_apply(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto lock, take_lock(reporter));
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  Reconcile r{kernel, relay};
  FOUCTL_TRY(prepare(r, inv, err, true));
  if (r.actions.empty()) {
    reporter.note("nothing to do: the system matches " + inv.config_path);
    return k_exit_ok;
  }
  if (!r.kernel_ok)
    reporter.note("the kernel cannot do FOU/IPIP; 'auto' tunnels use the userspace relay");
  // Units read the default config: use them only when applying that file.
  bool units = !inv.config_given && backend::relay_units_usable();
  backend::Live live{r.kernel, r.kernel_ok, r.relay, units};
  FOUCTL_TRY(backend::execute(live, r.obs, r.actions, reporter));
  reporter.note("applied " + std::to_string(r.actions.size()) + " change(s) from " +
                inv.config_path);
  return k_exit_ok;
}

} // namespace fouctl::cli
