#pragma once
// The parsed command line. Parsing is pure (no syscalls) and unit-tested; executing an
// Invocation is the only place that talks to the system and prints.
#include <iosfwd>
#include <string>
#include <vector>

#include "fouctl/config/tunnel.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::cli {

enum class Verb { up, down, status, apply, plan, check, relay, doctor, help, version };

// Documented exit codes (fouctl(8)).
constexpr int k_exit_ok = 0;
constexpr int k_exit_failure = 1;
constexpr int k_exit_usage = 2;
constexpr int k_exit_drift = 3; // status: the system differs from the config; plan: changes pending
constexpr int k_exit_doctor = 4; // doctor: a check failed

struct Invocation {
  Verb verb = Verb::help;
  bool quiet = false;
  std::string netns;       // -n NAME: run in /run/netns/NAME
  bool json = false;
  bool foreground = false; // up: relay stays attached
  bool verbose = false;    // up: relay logs packets
  config::TunnelSpec spec;  // up
  std::string target;       // down: RX_PORT or NAME; relay, doctor: NAME
  bool all = false;         // down --all
  std::string config_path = "/etc/fouctl/fouctl.json";
  bool config_given = false; // -c was on the command line
  std::string help_text;    // help/version output
};

// argv without the program name. ErrorKind::usage errors carry the message to print.
util::Result<Invocation> parse(const std::vector<std::string> &args);

// Runs a parsed invocation; returns the exit code. `out` gets results, `err` messages.
int execute(const Invocation &inv, std::ostream &out, std::ostream &err);

// The whole program: parse + execute, with every error mapped to an exit code.
int run(const std::vector<std::string> &args, std::ostream &out, std::ostream &err);

} // namespace fouctl::cli
