#pragma once
// `fouctl doctor`: what silently breaks a tunnel that is up. The system is read once into
// Facts (doctor/gather.cpp, the only part that makes syscalls); the checks are pure
// functions of those facts, listed in one table, so each is unit-tested on made-up facts
// and adding a check is one function and one row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fouctl/backend/status.hpp"
#include "fouctl/nl/fou.hpp"

namespace fouctl::doctor {

enum class Severity { ok, warn, fail };
const char *to_string(Severity s);

struct Finding {
  std::string check;     // the table row's name: "route", "mtu", ...
  Severity severity = Severity::ok;
  std::string message;   // one line: what is wrong or what was found
  std::vector<std::string> evidence = {}; // what the message rests on (values, counters, rules)
  std::string fix = {};  // a command that fixes it, when there is one
};

// A kernel module's state, read without loading anything.
struct ModuleFacts {
  std::string name;   // "fou"
  std::string option; // "CONFIG_NET_FOU"
  enum class State { loaded, available, missing } state = State::missing;
  std::string why = {}; // missing: the reason (not in /lib/modules/..., libkmod absent)
};

// The way to the peer: `ip route get PEER` (and `from LOCAL` when the tunnel has one).
struct PathFacts {
  bool loopback_peer = false;
  std::string error;      // set when there is no route: the kernel's reason
  bool peer_is_local = false;
  std::string dev;        // the output device
  std::uint32_t dev_mtu = 0;
  std::uint32_t route_mtu = 0; // RTAX_MTU of the route or a learned path MTU; 0: none
  util::IpAddr prefsrc;   // the source the kernel picks without `from`
  std::string local_error; // `from LOCAL` failed: LOCAL is not usable as a source
};

// One UDP socket bound to the tunnel's receive port (/proc/net/udp, udp6).
constexpr int k_pid_unknown = -1;

struct SocketFacts {
  util::IpAddr local;
  std::uint16_t port = 0;
  std::uint64_t inode = 0;
  std::uint64_t drops = 0; // datagrams the socket dropped (receive buffer full)
  int pid = 0;             // the process holding it, 0 when none does (a kernel socket),
                           // k_pid_unknown when /proc did not let doctor look (not root)
  std::string comm = {};   // that process's name, as it calls itself (untrusted text)
};

struct FirewallFacts {
  enum class Outcome { accepted, dropped, rejected, unknown, unread } outcome = Outcome::unread;
  std::string evidence = {};
  std::string fix = {};
  std::string unread_reason = {}; // unread: why the ruleset could not be read
};

// Everything the checks need about one tunnel.
struct Facts {
  backend::TunnelStatus tunnel;
  std::vector<ModuleFacts> modules = {}; // fou and the kind's module (ipip, sit, ip6_tunnel)
  PathFacts path = {};
  // IPv4 reverse-path filtering: net.ipv4.conf.{all,DEV}.rp_filter and TcpExt's
  // IPReversePathFilter (the namespace's drops). DEV is where decapsulated packets appear.
  std::string rp_dev = {};
  std::optional<int> rp_filter_all = {}, rp_filter_dev = {};
  std::optional<std::uint64_t> rp_drops = {};
  std::optional<bool> forwarding = {}; // for the families the tunnel routes
  std::vector<std::string> forwarding_keys = {}; // the sysctls read, for the message
  FirewallFacts firewall = {};
  std::vector<SocketFacts> sockets = {};        // on the receive port
  std::optional<nl::FouPort> fou_port = {};     // kernel: the FOU port on rx_port, if any
  bool fou_ports_read = false;
};

struct Check {
  std::string_view name;
  std::string_view what; // one line for the man page and --help
  bool (*applies)(const Facts &);
  Finding (*run)(const Facts &);
};

// The table, in the order findings are printed.
const std::vector<Check> &checks();

// Every check that applies, in table order.
std::vector<Finding> run_checks(const Facts &f);

} // namespace fouctl::doctor
