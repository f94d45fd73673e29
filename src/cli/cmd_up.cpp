#include <unistd.h>

#include <cctype>
#include <ostream>

#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/systemd.hpp"
#include "fouctl/backend/underlay.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/cli/commands.hpp"

namespace fouctl::cli {

using util::ErrorKind;

namespace {

util::Result<int> relay_up(const Invocation &inv, const config::TunnelSpec &spec,
                           StreamReporter &reporter, backend::NamespaceLock &lock) {
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  // Under systemd (as root, in its namespace) a background relay runs as
  // fouctl-relay@NAME.service, so that it is restarted when it crashes. One that already
  // runs is left to relay.up(), which confirms it or refuses the differences.
  if (!inv.foreground && ::geteuid() == 0 && backend::relay_units_usable() &&
      !backend::find_relay(spec.name, nullptr)) {
    FOUCTL_TRY(relay.preflight(spec));
    FOUCTL_TRY(backend::start_up_relay_unit(spec, reporter));
    reporter.note("tunnel '" + spec.name + "' is up (userspace relay, fouctl-relay@" +
                  spec.name + ".service)");
    return k_exit_ok;
  }
  bool changed = false;
  backend::RelayRunOptions opt{inv.foreground, inv.verbose, [&lock] {
                                 // A foreground relay runs for long: let others work meanwhile.
                                 backend::NamespaceLock released = std::move(lock);
                               }};
  FOUCTL_TRY_ASSIGN(int rc, relay.up(spec, opt, reporter, changed));
  if (!inv.foreground)
    reporter.note(changed ? "tunnel '" + spec.name + "' is up (userspace relay)"
                          : "tunnel '" + spec.name + "' is already up as asked; nothing changed");
  return rc;
}

util::Result<int> bpf_up(const Invocation &inv, const config::TunnelSpec &spec,
                         StreamReporter &reporter) {
  if (inv.foreground)
    return util::fail(ErrorKind::usage, "--foreground needs the userspace relay, not --mode bpf");
  FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
  FOUCTL_TRY_ASSIGN(bool changed, bpf.up(spec, reporter));
  reporter.note(changed ? "tunnel '" + spec.name + "' is up (BPF FOU datapath)"
                        : "tunnel '" + spec.name + "' is already up as asked; nothing changed");
  return k_exit_ok;
}

bool needs_relay(const config::TunnelSpec &spec, std::string &why) {
  if (!kind::kernel_can_carry(spec, &why))
    return true;
  if (!spec.tun_device.empty() || spec.framing != config::Framing::raw) {
    why = "--tun-device and --framing are relay options";
    return true;
  }
  return false;
}

} // namespace

util::Result<int> cmd_up(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto lock, take_lock(reporter));
  config::TunnelSpec spec = inv.spec;
  FOUCTL_TRY_ASSIGN(auto mtu, backend::resolve_mtu(spec));
  if (mtu.from_underlay)
    reporter.note("MTU " + std::to_string(mtu.mtu) + ": " + mtu.source);
  if (spec.mode == config::Mode::userspace)
    return relay_up(inv, spec, reporter, lock);
  if (spec.mode == config::Mode::bpf)
    return bpf_up(inv, spec, reporter);
  std::string why;
  if (spec.mode == config::Mode::automatic && needs_relay(spec, why)) {
    reporter.note(why + "; using the userspace relay");
    return relay_up(inv, spec, reporter, lock);
  }
  if (inv.foreground && spec.mode == config::Mode::kernel)
    return util::fail(ErrorKind::usage, "--foreground needs the userspace relay, not --mode kernel");

  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  if (auto avail = kernel.ensure_available(); !avail) {
    auto e = avail.error();
    if (spec.mode == config::Mode::automatic && e.kind == ErrorKind::missing) {
      // One short line, then the relay (wg-quick falls back to wireguard-go the same way).
      // The why (where libkmod looked) is for `--mode kernel`, which fails with it.
      auto cut = e.message.find("): ");
      auto brief = cut == std::string::npos ? e.message : e.message.substr(0, cut + 1);
      reporter.note(brief + "; using the userspace relay");
      return relay_up(inv, spec, reporter, lock);
    }
    if (e.kind == ErrorKind::missing)
      e.hint = "use --mode userspace for the relay";
    return tl::unexpected(e);
  }
  if (inv.foreground)
    return util::fail(ErrorKind::usage,
                      "--foreground needs the userspace relay; this kernel does FOU (use --mode userspace)");
  FOUCTL_TRY_ASSIGN(bool changed, kernel.up(spec, reporter));
  auto k = kind::for_spec(spec);
  std::string kind_name = k ? (*k)->name : "ipip";
  for (auto &c : kind_name)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  reporter.note(changed ? "tunnel '" + spec.name + "' is up (kernel FOU/" + kind_name + ")"
                        : "tunnel '" + spec.name + "' is already up as asked; nothing changed");
  return k_exit_ok;
}

} // namespace fouctl::cli
