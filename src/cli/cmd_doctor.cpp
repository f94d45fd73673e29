// doctor: runs the checks of doctor/table.cpp on every tunnel (or one) and prints one line
// per finding, grouped by tunnel, then a summary. Reads only.
#include <unistd.h>

#include <algorithm>
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fouctl/cli/commands.hpp"
#include "fouctl/doctor/gather.hpp"

namespace fouctl::cli {

namespace {

struct Counts {
  int ok = 0, warn = 0, fail = 0;
  void add(doctor::Severity s) {
    (s == doctor::Severity::ok ? ok : s == doctor::Severity::warn ? warn : fail) += 1;
  }
};

std::string heading(const backend::TunnelStatus &t) {
  return fmt::format("tunnel {} ({}{}, peer {}, rx {}, tx {})", t.name, t.mode,
                     t.kind.empty() ? "" : " " + t.kind, t.peer.to_string(), t.rx_port, t.tx_port);
}

void print_text(const std::vector<doctor::Facts> &facts,
                const std::vector<std::vector<doctor::Finding>> &findings, std::ostream &out) {
  for (std::size_t i = 0; i < facts.size(); ++i) {
    out << heading(facts[i].tunnel) << '\n';
    for (const auto &f : findings[i]) {
      out << fmt::format("  {:<5} {:<11} {}\n", doctor::to_string(f.severity), f.check, f.message);
      if (f.severity == doctor::Severity::ok)
        continue;
      for (const auto &e : f.evidence)
        out << fmt::format("  {:<5} {:<11}   {}\n", "", "", e);
      if (!f.fix.empty())
        out << fmt::format("  {:<5} {:<11}   fix: {}\n", "", "", f.fix);
    }
  }
}

nlohmann::json to_json(const std::vector<doctor::Facts> &facts,
                       const std::vector<std::vector<doctor::Finding>> &findings, const Counts &c) {
  auto tunnels = nlohmann::json::array();
  for (std::size_t i = 0; i < facts.size(); ++i) {
    const auto &t = facts[i].tunnel;
    auto list = nlohmann::json::array();
    for (const auto &f : findings[i])
      list.push_back({{"check", f.check},
                      {"severity", doctor::to_string(f.severity)},
                      {"message", f.message},
                      {"evidence", f.evidence},
                      {"fix", f.fix.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.fix)}});
    tunnels.push_back({{"name", t.name},
                       {"mode", t.mode},
                       {"peer", t.peer.to_string()},
                       {"rx_port", t.rx_port},
                       {"tx_port", t.tx_port},
                       {"findings", list}});
  }
  return {{"schema", "fouctl-doctor/1"},
          {"tunnels", tunnels},
          {"summary", {{"tunnels", facts.size()}, {"ok", c.ok}, {"warn", c.warn}, {"fail", c.fail}}}};
}

} // namespace

util::Result<int> cmd_doctor(const Invocation &inv, std::ostream &out, std::ostream &err) {
  FOUCTL_TRY_ASSIGN(auto kernel, backend::KernelBackend::open());
  // Never loads a module: doctor changes nothing. Without FOU, ports are not listed.
  const bool fou = static_cast<bool>(kernel.ensure_available(false));
  backend::Observed obs;
  FOUCTL_TRY_ASSIGN(auto tunnels, list_tunnels(kernel, obs, err));
  if (!inv.target.empty()) {
    std::erase_if(tunnels, [&](const auto &t) { return t.name != inv.target; });
    if (tunnels.empty())
      return util::fail(util::ErrorKind::not_found,
                        "no fouctl tunnel '" + inv.target + "' in this network namespace");
  }
  if (::geteuid() != 0)
    err << "fouctl doctor: not root: relay and BPF tunnels are not listed (their control "
           "sockets and maps are root's), and the firewall and other processes' sockets "
           "cannot be read\n";
  auto facts = doctor::gather(std::move(tunnels), kernel.rtnl(), obs, fou);
  std::vector<std::vector<doctor::Finding>> findings;
  Counts counts;
  for (const auto &f : facts) {
    findings.push_back(doctor::run_checks(f));
    for (const auto &x : findings.back())
      counts.add(x.severity);
  }
  if (inv.json) {
    out << to_json(facts, findings, counts).dump(2) << '\n';
  } else if (facts.empty()) {
    out << "no fouctl tunnels in this network namespace\n";
  } else {
    print_text(facts, findings, out);
    out << fmt::format("{} tunnel{} checked: {} ok, {} warn, {} fail\n", facts.size(),
                       facts.size() == 1 ? "" : "s", counts.ok, counts.warn, counts.fail);
  }
  return counts.fail > 0 ? k_exit_doctor : k_exit_ok;
}

} // namespace fouctl::cli
