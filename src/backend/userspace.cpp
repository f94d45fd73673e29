#include "fouctl/backend/userspace.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/l3.hpp"
#include "fouctl/backend/ownership.hpp"
#include "fouctl/backend/systemd.hpp"
#include "fouctl/backend/transaction.hpp"
#include "fouctl/kmod/modules.hpp"
#include "fouctl/relay/control.hpp"
#include "fouctl/relay/runner.hpp"
#include "fouctl/relay/tun_device.hpp"
#include "fouctl/relay/udp.hpp"
#include "fouctl/backend/runtime.hpp"
#include "fouctl/util/file_lock.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

namespace {

constexpr int k_ready_timeout_ms = 10000;
constexpr int k_stop_timeout_ms = 5000;

// `a` with `port`; an unset `a` is the wildcard address of `family` (4 or 6).
sockaddr_storage to_sockaddr(const util::IpAddr &a, std::uint16_t port, int family = 4) {
  sockaddr_storage ss{};
  if (a.family == 6 || (!a.is_set() && family == 6)) {
    auto *s6 = reinterpret_cast<sockaddr_in6 *>(&ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    if (a.is_set())
      std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
  } else {
    auto *s4 = reinterpret_cast<sockaddr_in *>(&ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (a.is_set())
      std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
  }
  return ss;
}

socklen_t sockaddr_len(int family) {
  return family == 6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

// The relay's UDP socket, of the underlay's (the peer's) family, bound to local:RX_PORT.
Result<util::UniqueFd> open_udp(const config::TunnelSpec &spec) {
  const int family = spec.peer.family;
  util::UniqueFd fd(::socket(family == 6 ? AF_INET6 : AF_INET,
                             SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return util::fail_errno("creating the relay's UDP socket", errno);
  if (family == 6) {
    int one = 1; // IPv6 only, like a fou6 port: no IPv4-mapped peers
    if (::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
      return util::fail_errno("setting IPV6_V6ONLY on the relay's UDP socket", errno);
  }
  FOUCTL_TRY(relay::tune_udp_socket(fd.get()));
  auto local = to_sockaddr(spec.local, spec.rx_port, family);
  if (::bind(fd.get(), reinterpret_cast<sockaddr *>(&local), sockaddr_len(family)) < 0) {
    int err = errno;
    auto e = util::fail_errno("binding UDP " + spec.local.to_string() + ":" +
                                  std::to_string(spec.rx_port),
                              err);
    e.value().kind = ErrorKind::conflict;
    if (err == EADDRINUSE)
      e.value().hint = "another program (or a kernel FOU port) has UDP port " +
                       std::to_string(spec.rx_port) + " open";
    if (err == EADDRNOTAVAIL)
      e.value().hint = "--local must be an address of this host";
    return e;
  }
  return fd;
}

// The relay's settings as JSON members, echoed back by its status reply.
std::string settings_json(const config::TunnelSpec &spec, std::uint32_t mtu) {
  nlohmann::json j{{"name", spec.name},
                   {"rx_port", spec.rx_port},
                   {"tx_port", spec.tx_port},
                   {"peer", spec.peer.to_string()},
                   {"local", spec.local.is_set() ? spec.local.to_string() : ""},
                   {"mtu", mtu},
                   {"framing", config::to_string(spec.framing)},
                   {"encap", config::to_string(spec.encap)},
                   {"mtu_auto", spec.mtu_auto},
                   {"tun_device", spec.tun_device},
                   {"peer_port_fixed", spec.peer_port_fixed}};
  auto s = j.dump();
  return s.substr(1, s.size() - 2);
}

// Who a relay started by this process runs as once set up, and who may stop it.
struct RelayIdentity {
  std::optional<std::pair<uid_t, gid_t>> run_as;
  std::vector<uid_t> may_stop{0};
  std::string note; // said once, by `up`
};

// Root: the service user, or without one an unused uid of the range systemd gives its
// DynamicUser= services (61184-65519), chosen as one that no account and no process has,
// so that the relay shares its uid with nobody. Any other user (the unprivileged
// --tun-device relay, or the service user in its unit) keeps its uid; a user who started
// its own relay may also stop it.
Result<RelayIdentity> relay_identity() {
  RelayIdentity id;
  const uid_t me = ::getuid();
  if (::geteuid() != 0) {
    if (auto svc = service_user(); !svc || svc->uid != me)
      id.may_stop.push_back(me);
    return id;
  }
  if (auto svc = service_user()) {
    id.run_as = {svc->uid, svc->gid};
    return id;
  }
  for (uid_t uid = 65519; uid >= 61184; --uid) {
    if (::getpwuid(uid) != nullptr || ::getgrgid(uid) != nullptr)
      continue;
    struct stat st {};
    bool used = false;
    if (DIR *d = ::opendir("/proc")) {
      while (dirent *e = ::readdir(d))
        if (e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
            ::stat(("/proc/" + std::string(e->d_name)).c_str(), &st) == 0 && st.st_uid == uid) {
          used = true;
          break;
        }
      ::closedir(d);
    }
    if (used)
      continue;
    id.run_as = {uid, uid};
    id.note = std::string("there is no system user '") + k_service_user +
              "' (the package makes it); the relay runs as unused uid " + std::to_string(uid);
    return id;
  }
  return fail(ErrorKind::system, std::string("no system user '") + k_service_user +
                                     "' and no unused uid to run the relay as");
}

// Whether this process may change the network (CAP_NET_ADMIN in its effective set): root,
// or a user given the capability. Without it a relay can only use a TUN device made for
// its user, with the routes that device's addresses already bring.
bool may_admin_network() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0)
    return ::geteuid() == 0;
  return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

// Whether a main-table route through `ifindex` sends all of `p` into the device.
bool routed_into(const Observed &obs, int ifindex, const util::Prefix &p) {
  return std::any_of(obs.routes.begin(), obs.routes.end(), [&](const nl::RouteInfo &r) {
    return r.oif == ifindex && r.table == 254 && r.dst.addr.family == p.addr.family &&
           r.dst.len <= p.len && r.dst.contains(p.addr);
  });
}

// What an unprivileged `up` cannot do, said before anything is made.
Status check_unprivileged(const config::TunnelSpec &spec, const Observed &obs) {
  if (spec.tun_device.empty()) {
    auto e = fail(ErrorKind::usage, "making a TUN device for the relay needs root (CAP_NET_ADMIN)");
    e.value().hint = "run as root, or use --tun-device with a TUN device made for you (as root: "
                     "'ip tuntap add dev tun0 mode tun user USER', an address whose subnet covers "
                     "REMOTE, 'ip link set tun0 up')";
    return e;
  }
  const auto *link = obs.link_by_name(spec.tun_device);
  for (const auto &r : spec.routes)
    if (link && !routed_into(obs, link->ifindex, r)) {
      auto e = fail(ErrorKind::usage, "REMOTE " + r.to_string() + " is not routed into '" +
                                          spec.tun_device +
                                          "', and adding a route needs root (CAP_NET_ADMIN)");
      e.value().hint = "as root, give '" + spec.tun_device +
                       "' an address whose subnet covers " + r.to_string() +
                       " (its connected route then carries REMOTE into the device), or run as root";
      return e;
    }
  return {};
}

// The status of the relay that already runs as `name`, if one does, from an authenticated
// answer and with the authenticated pid.
Result<std::optional<TunnelStatus>> running_status(const std::string &name, const Observed &obs) {
  auto ref = find_relay(name, &obs);
  if (!ref) {
    // None; or a stranger's socket, which ControlServer::bind replaces and names.
    if (ref.error().kind == ErrorKind::not_found || ref.error().kind == ErrorKind::conflict)
      return std::nullopt;
    return tl::unexpected(ref.error());
  }
  FOUCTL_TRY_ASSIGN(auto client, connect_relay(*ref));
  auto reply = client.request("status");
  if (!reply)
    return std::nullopt; // it exited meanwhile
  FOUCTL_TRY_ASSIGN(auto now, parse_relay_status(name, *reply));
  now.pid = client.pid();
  return now;
}

} // namespace

Result<UserspaceBackend> UserspaceBackend::open() {
  FOUCTL_TRY_ASSIGN(auto rt, nl::Socket::open(NETLINK_ROUTE));
  return UserspaceBackend(std::move(rt));
}

Result<Observed> UserspaceBackend::observe() { return backend::observe(m_rt, nullptr, -1); }

Status UserspaceBackend::check_startable(const config::TunnelSpec &spec, const Observed &obs) {
  const bool external = !spec.tun_device.empty();
  for (const auto &other : list(obs))
    if (other.rx_port == spec.rx_port)
      return fail(ErrorKind::conflict, "receive port " + std::to_string(spec.rx_port) +
                                           " belongs to fouctl tunnel '" + other.name + "'");
  if (const auto *holder = obs.owned_by_port(spec.rx_port))
    return fail(ErrorKind::conflict, "receive port " + std::to_string(spec.rx_port) +
                                         " belongs to fouctl tunnel '" + holder->name + "'");

  const nl::LinkInfo *existing = obs.link_by_name(spec.name);
  if (external) {
    if (!existing)
    {
      auto e = fail(ErrorKind::not_found, "TUN device '" + spec.tun_device + "' does not exist");
      e.value().hint = "create it with 'ip tuntap add dev " + spec.tun_device + " mode tun user USER'";
      return e;
    }
    if (existing->kind != "tun")
      return fail(ErrorKind::conflict, "device '" + spec.tun_device + "' is not a TUN device" +
                                           (existing->kind.empty() ? "" : " (" + existing->kind + ")"));
  } else if (existing) {
    auto e = fail(ErrorKind::conflict, "device '" + spec.name + "' exists" +
                                           (parse_mark(existing->alias) ? " (a kernel fouctl tunnel)"
                                                                        : " and was not made by fouctl"));
    e.value().hint = "choose another name with --name";
    return e;
  }
  FOUCTL_TRY(check_routes_free(spec, obs, external ? existing->ifindex : 0));
  return {};
}

Status UserspaceBackend::preflight(const config::TunnelSpec &spec) {
  FOUCTL_TRY_ASSIGN(auto obs, observe());
  FOUCTL_TRY(check_startable(spec, obs));
  // A trial bind: a port another program holds is reported here, not in a unit's journal.
  FOUCTL_TRY(open_udp(spec).map_error(util::context("opening the relay's UDP socket")));
  return {};
}

Result<int> UserspaceBackend::up(const config::TunnelSpec &spec, const RelayRunOptions &opt,
                                 Reporter &reporter, bool &changed) {
  changed = false;
  if (opt.foreground) {
    // A SIGINT or SIGTERM during setup must take the finished tunnel down, not kill this
    // process with its routes half made: held pending from now on, the relay's signalfd
    // reads it as soon as it runs (run_relay blocks the same set).
    sigset_t sigs;
    sigemptyset(&sigs);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
      sigaddset(&sigs, sig);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  }
  FOUCTL_TRY_ASSIGN(auto obs, observe());
  const bool external = !spec.tun_device.empty();

  // Already running? Then it must match.
  FOUCTL_TRY_ASSIGN(auto running, running_status(spec.name, obs));
  if (running) {
    auto &now = *running;
    const auto *l = obs.link_by_name(external ? spec.tun_device : spec.name);
    if (l)
      for (const auto &r : obs.routes_of(l->ifindex))
        now.owned_routes.push_back(r.dst);
    FOUCTL_TRY(refuse_differences(spec, relay_differences(spec, now)));
    if (opt.foreground)
      return fail(ErrorKind::conflict, "tunnel '" + spec.name + "' already runs in the background (pid " +
                                           std::to_string(now.pid) + ")");
    if (l)
      FOUCTL_TRY(repair(spec, *l, obs, reporter, changed));
    return 0;
  }
  FOUCTL_TRY(check_startable(spec, obs));
  const nl::LinkInfo *existing = obs.link_by_name(spec.name);
  const bool admin = may_admin_network();
  if (!admin)
    FOUCTL_TRY(check_unprivileged(spec, obs));

  // The tunnel's lock and control socket come first.
  FOUCTL_TRY_ASSIGN(auto rundir, runtime_dir(true));
  FOUCTL_TRY_ASSIGN(auto identity, relay_identity());
  std::string replaced;
  FOUCTL_TRY_ASSIGN(auto control, relay::ControlServer::bind(rundir.relay_dir, spec.name, replaced));
  if (!replaced.empty())
    reporter.note("replaced the control socket of '" + spec.name + "', which " + replaced +
                  " served; it was not a fouctl relay");
  if (!identity.note.empty())
    reporter.note(identity.note);
  FOUCTL_TRY_ASSIGN(auto udp, open_udp(spec).map_error(util::context("opening the relay's UDP socket")));

  Transaction tx(reporter);
  util::UniqueFd tun;
  int ifindex = external ? existing->ifindex : 0;
  auto failed = [&](util::Error e) { return tl::unexpected(tx.fail_and_rollback(std::move(e))); };
  if (external) {
    reporter.action("attach to TUN device " + spec.tun_device);
    auto t = relay::attach_tun(spec.tun_device);
    if (!t)
      return failed(t.error());
    tun = std::move(*t);
  } else {
    // /dev/net/tun appears once the tun driver is loaded; it has no on-open autoload
    // without a static device node, so load it like fou.
    if (::access("/dev/net/tun", F_OK) != 0)
      (void)kmod::load_module("tun", "CONFIG_TUN");
    reporter.action("ip tuntap add dev " + spec.name + " mode tun   # owned by the relay");
    auto t = relay::create_tun(spec.name);
    if (!t)
      return failed(t.error());
    tun = std::move(*t);
    auto links = nl::link_list(m_rt);
    if (!links)
      return failed(links.error());
    for (const auto &l : *links)
      if (l.name == spec.name)
        ifindex = l.ifindex;
    auto mark = format_mark({"userspace", spec.rx_port, spec.tx_port});
    if (auto r = tx.run("ip link set dev " + spec.name + " mtu " + std::to_string(spec.mtu) +
                            " alias \"" + mark + "\" up",
                        [&]() { return nl::link_set(m_rt, ifindex, spec.mtu, mark, true); }, {}, {});
        !r)
      return failed(r.error());
  }
  // Unprivileged, every REMOTE is already routed into the user's device (checked above).
  config::TunnelSpec l3 = spec;
  if (!admin)
    l3.routes.clear();
  if (auto r = add_addresses_and_routes(m_rt, tx, obs, ifindex, l3, changed); !r)
    return failed(r.error());

  relay::RelayProcess proc{spec.name, std::move(tun), std::move(udp), std::move(control), {}, {}, {},
                           opt.verbose, -1, {0}, {}};
  proc.engine.peer = to_sockaddr(spec.peer, spec.tx_port);
  proc.engine.peer_len = sockaddr_len(spec.peer.family);
  proc.engine.peer_port_fixed = spec.peer_port_fixed;
  proc.engine.framing = spec.framing == config::Framing::tun_pi ? relay::Framing::tun_pi
                         : spec.encap == config::Encap::gue   ? relay::Framing::gue
                                                              : relay::Framing::raw;
  proc.engine.mtu = spec.mtu;
  proc.status_extra = settings_json(spec, spec.mtu);
  proc.run_as = identity.run_as;
  proc.may_stop = identity.may_stop;
  proc.summary = fmt::format("relaying {} <-> {}:{} (UDP port {} here)", spec.name,
                             spec.peer.to_string(), spec.tx_port, spec.rx_port);
  changed = true;

  if (opt.foreground) {
    tx.commit();
    reporter.note("relay for '" + spec.name + "' running in the foreground; Ctrl-C takes it down");
    if (opt.before_foreground)
      opt.before_foreground();
    int rc = relay::run_relay(std::move(proc));
    // Our own TUN device vanished with its fd; routes on an external device stay: remove.
    if (external) {
      auto o = observe();
      if (o)
        (void)remove_routes(m_rt, *o, ifindex, spec.name, reporter);
    }
    reporter.note("tunnel '" + spec.name + "' is down");
    return rc;
  }

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) < 0)
    return failed(util::fail_errno("creating a pipe", errno).value());
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    return failed(util::fail_errno("starting the relay process", errno).value());
  }
  if (pid == 0) {
    ::close(ready[0]);
    ::setsid();
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    if (!opt.verbose)
      ::dup2(devnull, STDERR_FILENO);
    proc.ready_fd = ready[1];
    // Keep only what the relay needs: not the parent's lock or netlink sockets.
    util::close_other_fds(
        {proc.tun.get(), proc.udp.get(), proc.control.fd(), proc.control.lock_fd(), ready[1]});
    ::_exit(relay::run_relay(std::move(proc)));
  }
  ::close(ready[1]);
  // Our copies must go: the child alone holds the TUN device open from now on.
  // Nor the control socket and the tunnel's lock: the relay must be their only holder,
  // so that its answers prove it alive (ControlClient::request) and its death frees them.
  proc = relay::RelayProcess{spec.name, {}, {}, {}, {}, {}, {}, false, -1, {0}, {}};
  pollfd p{ready[0], POLLIN, 0};
  char buf[8] = {};
  ssize_t n = 0;
  if (::poll(&p, 1, k_ready_timeout_ms) > 0)
    n = ::read(ready[0], buf, sizeof buf);
  ::close(ready[0]);
  if (n <= 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return failed(util::Error{ErrorKind::system, 0, "the relay process did not start", {}, {}, {}});
  }
  // The child has its own session; reap nothing. It was forked before any thread existed.
  tx.commit();
  reporter.note(fmt::format("relay for '{}' runs in the background as pid {}", spec.name, pid));
  return 0;
}

// The relay runs as asked; what the kernel holds for it may not (set down, another MTU,
// addresses flushed, routes deleted by hand). Restores that without touching the relay.
Status UserspaceBackend::repair(const config::TunnelSpec &spec, const nl::LinkInfo &link,
                                const Observed &obs, Reporter &reporter, bool &changed) {
  // Unprivileged, there is nothing this process could restore.
  if (!may_admin_network())
    return {};
  Transaction tx(reporter);
  // A --tun-device is the user's: its state, MTU and addresses are theirs.
  if (spec.tun_device.empty() && (!link.is_up() || link.mtu != spec.mtu)) {
    std::optional<std::uint32_t> mtu, old_mtu;
    if (link.mtu != spec.mtu) {
      mtu = spec.mtu;
      old_mtu = link.mtu;
    }
    const bool was_up = link.is_up();
    const int ifindex = link.ifindex;
    auto text = [&](const std::optional<std::uint32_t> &m, bool up) {
      return "ip link set dev " + spec.name + (m ? " mtu " + std::to_string(*m) : "") +
             (up ? " up" : " down");
    };
    FOUCTL_TRY(tx.run(text(mtu, true), [&]() { return nl::link_set(m_rt, ifindex, mtu, std::nullopt, true); },
                      text(old_mtu, was_up),
                      [this, ifindex, old_mtu, was_up]() {
                        return nl::link_set(m_rt, ifindex, old_mtu, std::nullopt, was_up);
                      }));
    changed = true;
  }
  if (auto r = add_addresses_and_routes(m_rt, tx, obs, link.ifindex, spec, changed); !r)
    return tl::unexpected(tx.fail_and_rollback(r.error()));
  tx.commit();
  return {};
}

Status UserspaceBackend::down(const std::string &name, Reporter &reporter) {
  FOUCTL_TRY_ASSIGN(auto before, observe());
  std::string tun_device;
  auto ref = find_relay(name, &before);
  if (!ref && ref.error().kind != ErrorKind::not_found)
    return tl::unexpected(ref.error());
  if (ref) {
    // The pid is the authenticated peer's (SO_PEERCRED of the listening relay), held as a
    // pidfd that a status answer proved to be the relay's; nothing the relay says is used
    // to decide whom to signal.
    FOUCTL_TRY_ASSIGN(auto client, connect_relay(*ref));
    FOUCTL_TRY_ASSIGN(auto text, client.request("status"));
    FOUCTL_TRY_ASSIGN(auto s, parse_relay_status(name, text));
    tun_device = s.tun_device;
    reporter.action(fmt::format("stop relay '{}' (pid {})", name, client.pid()));
    auto stop = relay_request(*ref, "stop");
    if (stop && *stop != "ok")
      return fail(ErrorKind::system, "relay '" + name + "' refused to stop: " + *stop);
    if (!client.wait_exit(k_stop_timeout_ms)) {
      reporter.action(fmt::format("kill -KILL {}   # did not stop within {} ms", client.pid(),
                                  k_stop_timeout_ms));
      FOUCTL_TRY(client.kill());
      if (!client.wait_exit(k_stop_timeout_ms))
        return fail(ErrorKind::system, "relay '" + name + "' does not go away");
    }
    (void)relay::remove_stale(ref->dir, name);
  }
  // A device that outlives the relay keeps fouctl's routes: remove them.
  FOUCTL_TRY_ASSIGN(auto obs, observe());
  const auto *link = obs.link_by_name(tun_device.empty() ? name : tun_device);
  if (link)
    FOUCTL_TRY(remove_routes(m_rt, obs, link->ifindex, link->name, reporter));
  // A relay that `up` ran as a unit: its drop-in and settings go too.
  forget_up_relay_unit(name);
  return {};
}

} // namespace fouctl::backend
