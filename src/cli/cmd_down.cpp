#include <algorithm>
#include <cerrno>
#include <ostream>

#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/cli/check.hpp"
#include "fouctl/cli/commands.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::cli {

using util::ErrorKind;

namespace {

util::Result<int> down_one(const Invocation &inv, StreamReporter &reporter);

// down --all / down -c FILE: every fouctl tunnel, or those the config names.
util::Result<int> down_many(const Invocation &inv, std::ostream &err, StreamReporter &reporter) {
  std::vector<std::string> names;
  if (inv.all) {
    FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
    (void)kernel.ensure_available(false);
    FOUCTL_TRY_ASSIGN(auto obs, kernel.observe());
    for (const auto *l : obs.owned())
      names.push_back(l->name);
    FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
    for (const auto &s : relay.list())
      if (std::find(names.begin(), names.end(), s.name) == names.end())
        names.push_back(s.name);
    FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
    auto bpf_tunnels = bpf.list();
    if (!bpf_tunnels && !backend::bpf_unusable(bpf_tunnels.error()))
      return tl::unexpected(bpf_tunnels.error());
    for (const auto &s : bpf_tunnels.value_or(std::vector<backend::TunnelStatus>{}))
      if (std::find(names.begin(), names.end(), s.name) == names.end())
        names.push_back(s.name);
  } else {
    FOUCTL_TRY_ASSIGN(auto cfg, load_config_file(inv.config_path, err));
    for (const auto &t : cfg.tunnels)
      names.push_back(t.name);
  }
  util::Result<int> first = k_exit_ok;
  for (const auto &n : names) {
    Invocation one = inv;
    one.target = n;
    auto r = down_one(one, reporter);
    if (!r) {
      err << "fouctl down: " << r.error().describe() << '\n';
      if (first)
        first = k_exit_failure;
    }
  }
  if (names.empty())
    reporter.note("no fouctl tunnels to take down");
  return first;
}

} // namespace

util::Result<int> cmd_down(const Invocation &inv, std::ostream &, std::ostream &err) {
  StreamReporter reporter(err, inv.quiet);
  FOUCTL_TRY_ASSIGN(auto lock, take_lock(reporter));
  if (inv.target.empty())
    return down_many(inv, err, reporter);
  return down_one(inv, reporter);
}

namespace {

util::Result<int> down_one(const Invocation &inv, StreamReporter &reporter) {
  bool by_port = inv.target.find_first_not_of("0123456789") == std::string::npos;
  std::uint16_t port = 0;
  if (by_port) {
    FOUCTL_TRY_ASSIGN(port, config::parse_port(inv.target, "RX_PORT"));
  }

  // A relay? Found by its control socket (name) or its settings (port).
  FOUCTL_TRY_ASSIGN(auto relay, backend::UserspaceBackend::open());
  std::string relay_name;
  if (!by_port) {
    FOUCTL_TRY_ASSIGN(auto here, relay.observe());
    auto found = backend::find_relay(inv.target, &here);
    if (found)
      relay_name = inv.target;
    else if (found.error().kind == ErrorKind::conflict)
      reporter.note(found.error().message);
  }
  if (by_port)
    for (const auto &s : relay.list())
      if (s.rx_port == port)
        relay_name = s.name;
  if (!relay_name.empty()) {
    FOUCTL_TRY(relay.down(relay_name, reporter));
    reporter.note("tunnel '" + relay_name + "' is down");
    return k_exit_ok;
  }

  FOUCTL_TRY_ASSIGN(auto bpf, backend::BpfBackend::open());
  auto bpf_down = bpf.down(by_port ? std::string() : inv.target, port, reporter);
  if (!bpf_down && !backend::bpf_unusable(bpf_down.error()))
    return tl::unexpected(bpf_down.error());
  if (bpf_down && *bpf_down) {
    reporter.note("tunnel '" + **bpf_down + "' is down");
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

} // namespace

} // namespace fouctl::cli
