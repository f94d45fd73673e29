#pragma once
// The userspace backend: a relay process moving packets between a TUN device and a UDP
// socket in FOU-direct format, for kernels without fou/ipip. The TUN device is created by
// `up` (non-persistent: it dies with the relay, taking its addresses and routes along) or
// is an existing persistent one (--tun-device). The relay is found through its abstract
// control socket, so all state is per network namespace and a killed relay leaves nothing.
#include <functional>
#include <optional>
#include <vector>

#include "fouctl/backend/observed.hpp"
#include "fouctl/backend/reporter.hpp"
#include "fouctl/backend/status.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/socket.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::backend {

// Where a relay's control socket is, and whose answers from it are believed.
struct RelayRef {
  std::string dir;
  std::vector<uid_t> trusted;
  std::string name;
};

struct RelayRunOptions {
  bool foreground = false; // stay attached (the seed's socat variant); else fork and return
  bool verbose = false;    // log every packet to stderr
  std::function<void()> before_foreground; // e.g. release the namespace lock
};

class UserspaceBackend {
public:
  static util::Result<UserspaceBackend> open();

  // Brings the relay up, or confirms it runs exactly as asked and restores what the kernel
  // holds for it (device up, its MTU, addresses, routes; `changed` says whether anything
  // was). In the foreground, returns only when the relay stopped; the result is then its
  // exit code.
  util::Result<int> up(const config::TunnelSpec &spec, const RelayRunOptions &opt,
                       Reporter &reporter, bool &changed);
  // The checks up() makes before it creates anything (receive port and name free, routes
  // not taken) plus a trial bind of the UDP port, for a relay that is not running yet and
  // that something else (a systemd unit) will start.
  util::Status preflight(const config::TunnelSpec &spec);
  // Stops the relay `name` and removes what is left of it.
  util::Status down(const std::string &name, Reporter &reporter);
  // Every relay in this namespace.
  std::vector<TunnelStatus> list();
  // The same, with links, routes and addresses taken from `obs` (already read) instead
  // of a fresh dump.
  std::vector<TunnelStatus> list(const Observed &obs);
  util::Result<Observed> observe();
  // Control sockets found by list() but ignored (served by an untrusted process).
  [[nodiscard]] const std::vector<std::string> &warnings() const { return m_warnings; }

private:
  explicit UserspaceBackend(nl::Socket rt) : m_rt(std::move(rt)) {}
  util::Status check_startable(const config::TunnelSpec &spec, const Observed &obs);
  util::Status repair(const config::TunnelSpec &spec, const nl::LinkInfo &link, const Observed &obs,
                      Reporter &reporter, bool &changed);
  std::vector<TunnelStatus> statuses(const std::vector<RelayRef> &refs, const Observed &obs);
  nl::Socket m_rt;
  std::vector<std::string> m_warnings;
};

// Every relay socket in this process's runtime directory, and (root) those of the users
// that persistent TUN devices in `obs` were made for. Whether each answers is not checked.
std::vector<RelayRef> relay_refs(const Observed *obs);
// The relay of tunnel `name` if one answers, authenticated; ErrorKind::not_found if none,
// ErrorKind::conflict (naming its uid and pid) if an untrusted process serves that name.
util::Result<RelayRef> find_relay(const std::string &name, const Observed *obs);
util::Result<relay::ControlClient> connect_relay(const RelayRef &ref);
util::Result<std::string> relay_request(const RelayRef &ref, const std::string &request);

// Reads a relay's status reply (its JSON) into a TunnelStatus. Pure.
util::Result<TunnelStatus> parse_relay_status(const std::string &name, const std::string &json);
// How a running relay differs from `spec` (empty: the same). Pure.
std::vector<std::string> relay_differences(const config::TunnelSpec &spec, const TunnelStatus &now);

} // namespace fouctl::backend
