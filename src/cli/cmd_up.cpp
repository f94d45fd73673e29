#include <unistd.h>

#include <cctype>
#include <optional>
#include <ostream>

#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/choose.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/backend/ownership.hpp"
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

// The namespace's bpf tunnels, read once per `up` (their maps, routes and addresses take
// several requests); none where this process cannot use BPF at all.
class BpfTunnels {
public:
  util::Result<const std::vector<backend::TunnelStatus> *> get() {
    if (!m_list) {
      FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
      auto tunnels = bpf.list();
      if (!tunnels && !backend::bpf_unusable(tunnels.error()))
        return tl::unexpected(tunnels.error());
      m_list = tunnels.value_or(std::vector<backend::TunnelStatus>{});
    }
    return &*m_list;
  }

private:
  std::optional<std::vector<backend::TunnelStatus>> m_list;
};

// A bpf tunnel with this name or receive port: the kernel and relay backends do not see
// those, so `up` of either checks here.
util::Status refuse_bpf_tunnel(const config::TunnelSpec &spec, BpfTunnels &bpf) {
  FOUCTL_TRY_ASSIGN(const auto *tunnels, bpf.get());
  for (const auto &t : *tunnels) {
    if (t.name != spec.name && t.rx_port != spec.rx_port)
      continue;
    auto e = util::fail(ErrorKind::conflict,
                        t.name == spec.name
                            ? "tunnel '" + t.name + "' is up as a bpf tunnel"
                            : "receive port " + std::to_string(spec.rx_port) +
                                  " belongs to fouctl bpf tunnel '" + t.name + "'");
    e.value().hint = "run 'fouctl down " + t.name + "' first";
    return e;
  }
  return {};
}

// The mode of a fouctl tunnel already up under this name, if any: `auto` keeps it, so that
// repeating an `up` confirms the tunnel instead of clashing with it when the choice would
// now differ (a module loaded or BPF allowed since).
util::Result<std::optional<config::Mode>> mode_in_use(backend::KernelBackend &kernel,
                                                      const std::string &name, BpfTunnels &bpf) {
  if (auto link = nl::link_get(kernel.rtnl(), name))
    if (auto mark = backend::parse_mark(link->alias))
      return mark->mode == "kernel" ? config::Mode::kernel : config::Mode::userspace;
  FOUCTL_TRY_ASSIGN(const auto *tunnels, bpf.get());
  for (const auto &t : *tunnels)
    if (t.name == name)
      return config::Mode::bpf;
  return std::optional<config::Mode>();
}

// What keeps this kernel from FOU (empty when nothing does), for `auto`. Errors other
// than a missing module are returned: they would fail --mode kernel too.
util::Result<std::string> kernel_missing(backend::KernelBackend &kernel) {
  auto avail = kernel.ensure_available();
  if (avail)
    return std::string();
  if (avail.error().kind != ErrorKind::missing)
    return tl::unexpected(avail.error());
  // One short line; the why (where libkmod looked) is for `--mode kernel`, which fails with it.
  const auto &m = avail.error().message;
  auto cut = m.find("): ");
  return cut == std::string::npos ? m : m.substr(0, cut + 1);
}

} // namespace

util::Result<int> cmd_up(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto lock, take_lock(reporter));
  config::TunnelSpec spec = inv.spec;
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  FOUCTL_TRY_ASSIGN(auto mtu, backend::resolve_mtu(kernel.rtnl(), spec));
  if (mtu.from_underlay)
    reporter.note("MTU " + std::to_string(mtu.mtu) + ": " + mtu.source);
  BpfTunnels bpf_tunnels;
  if (spec.mode == config::Mode::automatic) {
    FOUCTL_TRY_ASSIGN(auto in_use, mode_in_use(kernel, spec.name, bpf_tunnels));
    if (in_use)
      spec.mode = *in_use;
  }
  if (spec.mode == config::Mode::automatic) {
    // Kernel, then BPF, then the relay (wg-quick falls back to wireguard-go the same
    // way), saying in one line which and why. Each probe runs only when it can matter.
    std::string kernel_why;
    if (kind::kernel_can_carry(spec) && spec.tun_device.empty() &&
        spec.framing == config::Framing::raw) {
      FOUCTL_TRY_ASSIGN(kernel_why, kernel_missing(kernel));
    }
    std::vector<std::string> bpf_missing;
    if (inv.foreground) {
      bpf_missing.push_back("--foreground needs a process"); // BPF runs none
    } else if (backend::bpf_can_carry(spec) &&
               !(kernel_why.empty() && kind::kernel_can_carry(spec))) {
      FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
      bpf_missing = bpf.missing();
    }
    auto choice = backend::choose_mode(spec, kernel_why, bpf_missing);
    if (!choice.why.empty())
      reporter.note(choice.why);
    spec.mode = choice.mode;
  }
  if (spec.mode == config::Mode::bpf)
    return bpf_up(inv, spec, reporter);
  FOUCTL_TRY(refuse_bpf_tunnel(spec, bpf_tunnels));
  if (spec.mode == config::Mode::userspace)
    return relay_up(inv, spec, reporter, lock);
  if (inv.foreground)
    return util::fail(ErrorKind::usage,
                      inv.spec.mode == config::Mode::kernel
                          ? "--foreground needs the userspace relay, not --mode kernel"
                          : "--foreground needs the userspace relay; this kernel does FOU (use "
                            "--mode userspace)");
  if (auto avail = kernel.ensure_available(); !avail) {
    auto e = avail.error();
    if (e.kind == ErrorKind::missing)
      e.hint = "use --mode bpf for the BPF datapath or --mode userspace for the relay";
    return tl::unexpected(e);
  }
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
