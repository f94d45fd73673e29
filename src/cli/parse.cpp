// Command-line parsing with CLI11. Positional arguments keep the seed script's order:
//   fouctl up RX_PORT TX_PORT REMOTE [MTU]    fouctl down RX_PORT|NAME
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iterator>
#include <sstream>

#include "fouctl/cli/invocation.hpp"
#include "fouctl/version.hpp"

namespace fouctl::cli {

using util::ErrorKind;
using util::fail;

namespace {

struct RawUp {
  std::string rx, tx, remote, mtu, peer = config::k_default_peer, local, name, mode = "auto";
  std::string framing = "raw", tun_device, offload = "auto", encap = "fou";
  bool peer_port_fixed = false;
  std::vector<std::string> addresses;
};

util::Result<config::TunnelSpec> build_spec(const RawUp &raw) {
  config::TunnelSpec s;
  FOUCTL_TRY_ASSIGN(s.rx_port, config::parse_port(raw.rx, "RX_PORT"));
  FOUCTL_TRY_ASSIGN(s.tx_port, config::parse_port(raw.tx, "TX_PORT"));
  std::stringstream remotes(raw.remote);
  for (std::string item; std::getline(remotes, item, ',');) {
    FOUCTL_TRY_ASSIGN(auto p, util::parse_prefix(item, true).map_error(util::context("REMOTE")));
    s.routes.push_back(p);
  }
  FOUCTL_TRY_ASSIGN(s.peer, util::parse_addr(raw.peer).map_error(util::context("--peer")));
  FOUCTL_TRY_ASSIGN(s.encap, config::parse_encap(raw.encap).map_error(util::context("--encap")));
  // No MTU: the backend takes it from the underlay (config::TunnelSpec::mtu_auto).
  s.mtu = config::default_mtu(s.peer, s.encap);
  s.mtu_auto = raw.mtu.empty();
  if (!raw.mtu.empty()) {
    FOUCTL_TRY_ASSIGN(s.mtu, config::parse_mtu(raw.mtu));
  }
  if (!raw.local.empty()) {
    FOUCTL_TRY_ASSIGN(s.local, util::parse_addr(raw.local).map_error(util::context("--local")));
  }
  for (const auto &a : raw.addresses) {
    // An address keeps its host bits ("10.0.2.2/24"); a bare address is a /32 or /128.
    FOUCTL_TRY_ASSIGN(auto p, util::parse_prefix(a, false).map_error(util::context("--address")));
    s.addresses.push_back(p);
  }
  s.tun_device = raw.tun_device;
  s.name = !raw.name.empty()       ? raw.name
           : !s.tun_device.empty() ? s.tun_device
                                   : config::default_name(s.rx_port);
  FOUCTL_TRY_ASSIGN(s.mode, config::parse_mode(raw.mode));
  FOUCTL_TRY_ASSIGN(s.framing, config::parse_framing(raw.framing));
  FOUCTL_TRY_ASSIGN(s.offload, config::parse_offload(raw.offload).map_error(util::context("--offload")));
  s.peer_port_fixed = raw.peer_port_fixed;
  FOUCTL_TRY(config::validate(s));
  return s;
}

} // namespace

util::Result<Invocation> parse(const std::vector<std::string> &args) {
  CLI::App app{"fouctl: set up foo-over-UDP (FOU/IPIP) tunnels", "fouctl"};
  app.require_subcommand(0, 1);
  app.footer("Exit codes: 0 success, 1 failure (nothing left changed), 2 usage or invalid input,\n"
             "3 status: drift from the config / plan: changes pending. See fouctl(8), fouctl.json(5).");
  app.set_version_flag("--version", std::string("fouctl ") + k_version);
  // Global options after the verb too (`fouctl up ... -n alice`): a subcommand hands the
  // options it does not know to the main command. Set before the subcommands are made,
  // which inherit it.
  app.fallthrough();
  Invocation inv;
  app.add_flag("-q,--quiet", inv.quiet, "Do not echo the actions performed");
  auto *netns = app.add_option("-n,--netns", inv.netns,
                 "Work in network namespace NAME (/run/netns/NAME), as 'ip -n' does")
      ->type_name("NAME");

  RawUp raw;
  auto *up = app.add_subcommand("up", "Bring a tunnel up (idempotent)");
  up->add_option("RX_PORT", raw.rx, "UDP port the kernel listens on for tunnel packets")->required();
  up->add_option("TX_PORT", raw.tx, "UDP port encapsulated packets are sent to")->required();
  up->add_option("REMOTE", raw.remote, "Address or subnet routed through the tunnel (comma list)")
      ->required();
  up->add_option("MTU", raw.mtu,
                 "Largest packet the link carries (68-65507; default: the underlay's MTU less "
                 "the headers, 1472 over loopback)");
  up->add_option("--peer", raw.peer, "Underlay address of the other end (default 127.0.0.1)");
  up->add_option("--local", raw.local, "Underlay source address");
  up->add_option("--address", raw.addresses, "Address for the tunnel device (repeatable)")
      ->allow_extra_args(false);
  up->add_option("--name", raw.name, "Device name (default fou<RX_PORT>)");
  up->add_option("--mode", raw.mode, "auto (default), kernel, userspace or bpf (BPF programs)");
  up->add_option("--encap", raw.encap,
                 "fou (default: FOU direct) or gue (a 4-byte GUE header naming the protocol)");
  up->add_option("--offload", raw.offload,
                 "Kernel: tx checksum offload auto (default: off for a loopback peer), on, off");
  up->add_option("--framing", raw.framing, "Relay: raw (FOU direct, default) or tun-pi (socat)");
  up->add_option("--tun-device", raw.tun_device,
                 "Relay: attach to this existing persistent TUN device");
  up->add_flag("--bind-peer,--peer-port-fixed", raw.peer_port_fixed,
               "Accept only datagrams from the peer's address and TX_PORT, and send from "
               "RX_PORT");
  up->add_flag("--foreground", inv.foreground,
               "Relay: stay attached; SIGINT/SIGTERM take the tunnel down");
  up->add_flag("-v,--verbose", inv.verbose, "Relay: log every packet in and out");

  auto *down = app.add_subcommand("down", "Take a tunnel down");
  down->add_option("TARGET", inv.target, "The tunnel's RX_PORT or device name");
  down->add_flag("--all", inv.all, "Every tunnel fouctl owns in this network namespace");
  auto *down_config = down->add_option("-c,--config", inv.config_path, "The tunnels of this config");

  auto *status = app.add_subcommand("status", "Show fouctl's tunnels, and drift from the config");
  status->add_flag("--json", inv.json, "Machine-readable output (see fouctl(8))");
  status->add_flag("-a,--all", inv.all, "Also list the IPv6 link-local addresses the kernel gives devices");
  auto *status_config = status->add_option("-c,--config", inv.config_path,
                                           "Config to compare with (default /etc/fouctl/fouctl.json)");

  auto *apply = app.add_subcommand("apply", "Make the system match the config (all or nothing)");
  auto *apply_config = apply->add_option("-c,--config", inv.config_path, "Config file");
  auto *plan = app.add_subcommand("plan", "Show what apply would do; exit 3 if anything");
  auto *plan_config = plan->add_option("-c,--config", inv.config_path, "Config file");
  plan->add_flag("--json", inv.json, "Machine-readable output, schema fouctl-plan/1 (see fouctl(8))");
  auto *check = app.add_subcommand("check", "Validate a config file (no privileges needed)");
  auto *check_config = check->add_option("-c,--config", inv.config_path, "Config file");
  auto *relay = app.add_subcommand(
      "relay", "Run the config's tunnel NAME as a relay in the foreground (fouctl-relay@.service)");
  relay->add_option("NAME", inv.target, "The tunnel's name in the config")->required();
  auto *relay_config = relay->add_option("-c,--config", inv.config_path, "Config file");
  relay->add_flag("-v,--verbose", inv.verbose, "Log every packet in and out");

  // CLI11 reports a mistyped verb as "arguments not expected"; name it instead.
  static const char *k_verbs[] = {"up", "down", "status", "apply", "plan", "check", "relay"};
  if (!args.empty() && !args[0].empty() && args[0][0] != '-' &&
      std::none_of(std::begin(k_verbs), std::end(k_verbs), [&](auto v) { return args[0] == v; }))
    return fail(ErrorKind::usage, "unknown command '" + args[0] +
                                      "': use up, down, status, apply, plan or check (see 'fouctl --help')");
  std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 wants them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp &) {
    inv.verb = Verb::help;
    const CLI::App *sub = nullptr;
    for (auto *s : {up, down, status, apply, plan, check, relay})
      if (s->parsed())
        sub = s;
    inv.help_text = sub ? sub->help() : app.help();
    return inv;
  } catch (const CLI::CallForVersion &) {
    inv.verb = Verb::version;
    inv.help_text = std::string("fouctl ") + k_version + "\n";
    return inv;
  } catch (const CLI::ParseError &e) {
    return fail(ErrorKind::usage, e.what());
  }
  if (netns->count() > 0 && inv.netns.empty())
    return fail(ErrorKind::usage, "-n: '' is not a network namespace name");
  if (up->parsed()) {
    inv.verb = Verb::up;
    FOUCTL_TRY_ASSIGN(inv.spec, build_spec(raw));
  } else if (down->parsed()) {
    inv.verb = Verb::down;
    inv.config_given = down_config->count() > 0;
    int ways = (inv.target.empty() ? 0 : 1) + (inv.all ? 1 : 0) + (inv.config_given ? 1 : 0);
    if (ways != 1)
      return fail(ErrorKind::usage, "down takes one of: RX_PORT or NAME, --all, -c FILE");
    if (inv.target.empty()) {
      // --all or -c
    } else if (inv.target.find_first_not_of("0123456789") == std::string::npos) {
      FOUCTL_TRY(config::parse_port(inv.target, "RX_PORT"));
    } else {
      FOUCTL_TRY(config::validate_name(inv.target));
    }
  } else if (status->parsed()) {
    inv.verb = Verb::status;
    inv.config_given = status_config->count() > 0;
  } else if (relay->parsed()) {
    inv.verb = Verb::relay;
    inv.config_given = relay_config->count() > 0;
    FOUCTL_TRY(config::validate_name(inv.target));
  } else if (apply->parsed() || plan->parsed() || check->parsed()) {
    inv.verb = apply->parsed() ? Verb::apply : plan->parsed() ? Verb::plan : Verb::check;
    inv.config_given = apply_config->count() + plan_config->count() + check_config->count() > 0;
  } else {
    return fail(ErrorKind::usage, "no command given: use up, down or status (see 'fouctl --help')");
  }
  return inv;
}

} // namespace fouctl::cli
