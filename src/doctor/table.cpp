// doctor's table of checks: a new check is one function (checks_*.cpp) and one row here.
#include "fouctl/doctor/checks.hpp"

namespace fouctl::doctor {

namespace {

bool always(const Facts &) { return true; }
bool kernel_only(const Facts &f) { return f.tunnel.mode == "kernel"; }
// IPv4 reverse-path filtering looks at IPv4 packets: tunnels that route some.
bool routes_ipv4(const Facts &f) {
  for (const auto &p : f.tunnel.routes)
    if (p.addr.family == 4)
      return true;
  return false;
}

} // namespace

const char *to_string(Severity s) {
  switch (s) {
  case Severity::ok:
    return "ok";
  case Severity::warn:
    return "warn";
  case Severity::fail:
    break;
  }
  return "fail";
}

const std::vector<Check> &checks() {
  static const std::vector<Check> table = {
      {"kernel", "the fou and tunnel modules, and the backend the tunnel runs on", always, check_kernel},
      {"route", "a route to the peer, and the tunnel's local address usable as its source", always,
       check_route},
      {"mtu", "the tunnel's MTU plus the outer headers fits the way to the peer", always, check_mtu},
      {"port", "the receive port is open and this tunnel's; its socket's drops", always, check_port},
      {"firewall", "netfilter's input path accepts the receive port from the peer", always,
       check_firewall},
      {"rp_filter", "reverse-path filtering where decapsulated packets arrive", routes_ipv4,
       check_rp_filter},
      {"forwarding", "forwarding on when the tunnel routes subnets", always, check_forwarding},
      {"offload", "tx checksum offload against the peer", kernel_only, check_offload},
      {"counters", "device and datapath counters; one-way traffic", always, check_counters},
  };
  return table;
}

std::vector<Finding> run_checks(const Facts &f) {
  std::vector<Finding> out;
  for (const auto &c : checks())
    if (c.applies(f))
      out.push_back(c.run(f));
  return out;
}

} // namespace fouctl::doctor
