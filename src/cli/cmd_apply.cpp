// apply and plan: one code path; plan stops before executing.
#include <algorithm>
#include <map>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "fouctl/backend/choose.hpp"
#include "fouctl/backend/reconcile.hpp"
#include "fouctl/backend/systemd.hpp"
#include "fouctl/backend/underlay.hpp"
#include "fouctl/cli/check.hpp"
#include "fouctl/cli/commands.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/plan/json.hpp"

namespace fouctl::cli {

namespace {

// The backends, what the system has, and what the config asks for.
struct Reconcile {
  backend::KernelBackend &kernel;
  backend::UserspaceBackend &relay;
  backend::BpfBackend &bpf;
  bool kernel_ok = false;
  bool bpf_ok = false;
  backend::Observed obs{};
  std::vector<plan::Action> actions{};
  std::map<std::string, backend::MtuChoice> mtus{}; // tunnels whose MTU is not given
};

// Where the MTU of a tunnel that an action creates or resizes came from, when not given.
std::optional<std::string> mtu_note(const Reconcile &r, const plan::Action &a) {
  if (a.kind != plan::ActionKind::create && a.kind != plan::ActionKind::set_mtu)
    return std::nullopt;
  auto it = r.mtus.find(a.tunnel);
  if (it == r.mtus.end())
    return std::nullopt;
  return "MTU " + std::to_string(it->second.mtu) + " of '" + a.tunnel + "': " + it->second.source;
}

// Each action's note ("" for none), in the actions' order.
std::vector<std::string> notes_of(const Reconcile &r) {
  std::vector<std::string> notes;
  for (const auto &a : r.actions)
    notes.push_back(mtu_note(r, a).value_or(""));
  return notes;
}

util::Status prepare(Reconcile &r, const Invocation &inv, std::ostream &err, bool load_modules) {
  FOUCTL_TRY_ASSIGN(auto cfg, load_config_file(inv.config_path, err));
  FOUCTL_TRY_ASSIGN(auto mtus, backend::resolve_mtus(r.kernel.rtnl(), cfg.tunnels));
  for (std::size_t i = 0; i < cfg.tunnels.size(); ++i)
    if (cfg.tunnels[i].mtu_auto)
      r.mtus.emplace(cfg.tunnels[i].name, mtus[i]);
  r.kernel_ok = static_cast<bool>(r.kernel.ensure_available(load_modules));
  // Probed only when a tunnel could use it: bpf::probe loads two programs.
  const bool bpf_wanted = std::any_of(cfg.tunnels.begin(), cfg.tunnels.end(), [&](auto &t) {
    return t.mode == config::Mode::bpf ||
           (t.mode == config::Mode::automatic && backend::bpf_can_carry(t) &&
            !(r.kernel_ok && kind::kernel_can_carry(t)));
  });
  r.bpf_ok = bpf_wanted && r.bpf.missing().empty();
  backend::Live live{r.kernel, r.kernel_ok, r.relay, false, &r.bpf, r.bpf_ok};
  FOUCTL_TRY_ASSIGN(auto have, backend::observed_state(live, r.obs));
  auto want = backend::desired_state(cfg.tunnels, r.kernel_ok, r.bpf_ok);
  r.actions = plan::make_plan(have, want);
  return {};
}

} // namespace

util::Result<Pending> pending_actions(const Invocation &inv, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
  Reconcile r{kernel, relay, bpf};
  FOUCTL_TRY(prepare(r, inv, err, false));
  auto notes = notes_of(r);
  return Pending{std::move(r.actions), std::move(notes)};
}

util::Result<int> cmd_plan(const Invocation &inv, std::ostream &out, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto p, pending_actions(inv, err));
  // Printed whole or not at all: an error above leaves stdout empty for a consumer.
  if (inv.json) {
    out << plan::plan_to_json(p.actions, inv.config_path, p.notes).dump(2) << '\n';
  } else {
    for (std::size_t i = 0; i < p.actions.size(); ++i) {
      out << plan::describe(p.actions[i]) << '\n';
      if (!p.notes[i].empty())
        out << "    # " << p.notes[i] << '\n';
    }
    if (p.actions.empty())
      out << "nothing to do: the system matches " << inv.config_path << '\n';
  }
  return p.actions.empty() ? k_exit_ok : k_exit_drift;
}

util::Result<int> cmd_apply(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto lock, take_lock(reporter));
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
  Reconcile r{kernel, relay, bpf};
  FOUCTL_TRY(prepare(r, inv, err, true));
  if (r.actions.empty()) {
    reporter.note("nothing to do: the system matches " + inv.config_path);
    return k_exit_ok;
  }
  if (!r.kernel_ok)
    reporter.note(std::string("the kernel cannot do FOU/IPIP; 'auto' tunnels use ") +
                  (r.bpf_ok ? "the BPF datapath where it carries them, else " : "") +
                  "the userspace relay");
  // Units read the default config: use them only when applying that file.
  for (const auto &a : r.actions)
    if (auto note = mtu_note(r, a))
      reporter.note(*note);
  bool units = !inv.config_given && backend::relay_units_usable();
  backend::Live live{r.kernel, r.kernel_ok, r.relay, units, &r.bpf, r.bpf_ok};
  FOUCTL_TRY(backend::execute(live, r.obs, r.actions, reporter));
  reporter.note("applied " + std::to_string(r.actions.size()) + " change(s) from " +
                inv.config_path);
  return k_exit_ok;
}

} // namespace fouctl::cli
