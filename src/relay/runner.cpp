#include "fouctl/relay/runner.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "fouctl/relay/notify.hpp"

namespace fouctl::relay {

namespace {

void signal_stop(int stop_fd) {
  std::uint64_t one = 1;
  (void)!::write(stop_fd, &one, sizeof one);
}

std::string status_json(const RelayProcess &p, const Counters &c) {
  auto s = snapshot(c);
  std::string drops;
  for (std::size_t i = 0; i < k_drop_reasons; ++i)
    drops += fmt::format("{}\"{}\":{}", i ? "," : "", to_string(static_cast<DropReason>(i)),
                         s.drops[i]);
  return fmt::format("{{\"pid\":{},\"uid\":{},{},\"counters\":{{\"rx_packets\":{},\"rx_bytes\":{},"
                     "\"tx_packets\":{},\"tx_bytes\":{}}},\"checksums_completed\":{},"
                     "\"fragmented\":{},\"drops\":{{{}}}}}",
                     ::getpid(), ::getuid(), p.status_extra, s.rx_packets, s.rx_bytes,
                     s.tx_packets, s.tx_bytes, s.rx_csum_completed, s.tx_fragmented, drops);
}

} // namespace

// Capabilities are per thread: this must run before the relay starts any.
util::Status drop_privileges(const std::optional<std::pair<uid_t, gid_t>> &run_as) {
  if (::geteuid() != 0) {
    // Not root, yet it could set the device up: a service user given CAP_NET_ADMIN as an
    // ambient capability (fouctl-relay@.service). Setup is over; keep none of it.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
      return util::fail_errno("clearing ambient capabilities", errno);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capset, &header, none) < 0)
      return util::fail_errno("dropping capabilities", errno);
    return {};
  }
  if (!run_as || run_as->first == 0)
    return util::fail(util::ErrorKind::system, "no user to run the relay as");
  const auto [uid, gid] = *run_as;
  if (::setgroups(0, nullptr) < 0 || ::setresgid(gid, gid, gid) < 0 ||
      ::setresuid(uid, uid, uid) < 0)
    return util::fail_errno("giving up root", errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return util::fail_errno("setting no_new_privs", errno);
  return {};
}

int run_relay(RelayProcess p) {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr); // before any thread starts: all inherit it
  std::signal(SIGPIPE, SIG_IGN);
  util::UniqueFd sigfd(::signalfd(-1, &sigs, SFD_CLOEXEC));
  util::UniqueFd stop(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!sigfd.valid() || !stop.valid()) {
    std::fprintf(stderr, "fouctl relay %s: cannot set up signal handling\n", p.name.c_str());
    return 1;
  }

  Counters counters;
  p.engine.tun_fd = p.tun.get();
  p.engine.udp_fd = p.udp.get();
  p.engine.stop_fd = stop.get();
  std::string tag = "fouctl relay " + p.name + ": ";
  if (p.verbose)
    p.engine.log = [tag](std::string_view line) {
      std::fprintf(stderr, "%s%.*s\n", tag.c_str(), static_cast<int>(line.size()), line.data());
    };
  Engine engine(p.engine, counters);

  if (auto listening = p.control.listen(); !listening) {
    std::fprintf(stderr, "%s%s\n", tag.c_str(), listening.error().describe().c_str());
    return 1;
  }
  if (auto dropped = drop_privileges(p.run_as); !dropped) {
    std::fprintf(stderr, "%s%s\n", tag.c_str(), dropped.error().describe().c_str());
    return 1;
  }

  // A signal becomes a write to the stop eventfd, which the engine and the control
  // server both watch.
  std::thread signals([&] {
    pollfd fds[2] = {{sigfd.get(), POLLIN, 0}, {stop.get(), POLLIN, 0}};
    while (::poll(fds, 2, -1) < 0 && errno == EINTR) {
    }
    if (fds[0].revents != 0)
      signal_stop(stop.get());
  });
  std::thread control([&] {
    p.control.serve(
        stop.get(), p.may_stop, [&] { return status_json(p, counters); },
        [&] { signal_stop(stop.get()); },
        [&](const std::string &line) { std::fprintf(stderr, "%s%s\n", tag.c_str(), line.c_str()); });
  });

  int rc = 0;
  (void)notify_service_manager("READY=1\nSTATUS=" + p.summary);
  if (p.ready_fd >= 0) {
    (void)!::write(p.ready_fd, "ready\n", 6);
    ::close(p.ready_fd);
  }
  if (auto r = engine.run(); !r) {
    std::fprintf(stderr, "%s%s\n", tag.c_str(), r.error().describe().c_str());
    rc = 1;
  }
  (void)notify_service_manager("STOPPING=1");
  signal_stop(stop.get());
  signals.join();
  control.join();
  // Close the TUN device before the control socket goes (with `p`): whoever waits for the
  // control socket to vanish (`fouctl down`) may then rely on the device being gone too.
  p.tun.reset();
  p.udp.reset();
  return rc;
}

} // namespace fouctl::relay
