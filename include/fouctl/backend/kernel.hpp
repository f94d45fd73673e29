#pragma once
// The kernel backend: an ipip device with FOU encapsulation, a FOU receive port, and the
// tunnel's addresses and routes, all over netlink in the current network namespace.
#include <optional>
#include <string>
#include <vector>

#include "fouctl/backend/observed.hpp"
#include "fouctl/backend/reporter.hpp"
#include "fouctl/backend/status.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::backend {

class KernelBackend {
public:
  // Opens the rtnetlink socket. Does not need FOU.
  static util::Result<KernelBackend> open();

  // Resolves the "fou" family, loading fou and ipip first when `load_modules` (up does;
  // status and down never change the module list). ErrorKind::missing says which module
  // or kernel option is absent. Safe to call more than once.
  util::Status ensure_available(bool load_modules = true);
  [[nodiscard]] bool has_fou() const { return m_fou_family >= 0; }

  util::Result<Observed> observe(bool counters = true);

  // Brings the tunnel up or confirms it is already up exactly as asked. Returns false if
  // nothing had to change. On failure everything this call created is removed.
  // `obs`, when given, is a current observation to use instead of reading one (apply
  // brings many tunnels up from one observation); what this call creates is added to it,
  // so that it stays current without another read.
  util::Result<bool> up(const config::TunnelSpec &spec, Reporter &reporter,
                        Observed *obs = nullptr);
  // Removes the kernel tunnel `link` (owned by fouctl): routes, FOU port, device.
  util::Status down(const nl::LinkInfo &link, const Observed &obs, Reporter &reporter);
  TunnelStatus status_of(const nl::LinkInfo &link, const Observed &obs) const;
  nl::Socket &rtnl() { return m_rt; }
  // FOU receive ports (ensure_available() first).
  util::Status fou_add(const nl::FouPort &port);
  util::Status fou_del(const nl::FouPort &port);

private:
  KernelBackend(nl::Socket rt) : m_rt(std::move(rt)) {}
  util::Result<util::IpAddr> choose_local(const config::TunnelSpec &spec, const Observed &obs,
                                          const std::string &link_kind) const;

  nl::Socket m_rt;
  std::optional<nl::Socket> m_genl;
  int m_fou_family = -1;
};

// Checks that an existing fouctl tunnel matches `spec` (same ports, peer, MTU, routes...).
// Returns the differences, empty when it matches. Pure.
std::vector<std::string> differences(const config::TunnelSpec &spec, const TunnelStatus &now);

// The conflict error for a tunnel that is up with settings other than `spec`'s, or
// success when `diff` is empty.
util::Status refuse_differences(const config::TunnelSpec &spec, const std::vector<std::string> &diff);

} // namespace fouctl::backend
