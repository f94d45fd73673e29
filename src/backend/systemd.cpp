#include "fouctl/backend/systemd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <systemd/sd-bus.h>

#include "fouctl/config/file.hpp"
#include "fouctl/backend/runtime.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/util/dynlib.hpp"
#include "fouctl/util/netns.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;

namespace {

constexpr auto k_start_timeout = std::chrono::seconds(15);

bool same_netns_as_init() {
  struct stat self{}, init{};
  if (::stat("/proc/self/ns/net", &self) != 0)
    return false;
  if (::stat("/proc/1/ns/net", &init) == 0)
    return self.st_ino == init.st_ino && self.st_dev == init.st_dev;
  // A sandboxed service (fewer capabilities than PID 1, ProtectProc=) may not look at PID 1.
  // A systemd service (INVOCATION_ID set) shares the host's namespace unless the unit gives
  // it its own, which fouctl.service does not.
  return std::getenv("INVOCATION_ID") != nullptr;
}

// The part of sd-bus fouctl uses, from libsystemd opened on first use (util/dynlib.hpp).
struct SdBus {
  decltype(&::sd_bus_new) new_bus = nullptr;
  decltype(&::sd_bus_set_address) set_address = nullptr;
  decltype(&::sd_bus_start) start = nullptr;
  decltype(&::sd_bus_open_system) open_system = nullptr;
  decltype(&::sd_bus_call_method) call_method = nullptr;
  decltype(&::sd_bus_message_unref) message_unref = nullptr;
  decltype(&::sd_bus_error_free) error_free = nullptr;
  decltype(&::sd_bus_flush_close_unref) close = nullptr;
};

util::Result<const SdBus *> sd_bus_library() {
  static SdBus b;
  static bool loaded = false;
  if (loaded)
    return &b;
  const char *so = "libsystemd.so.0";
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_new", b.new_bus));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_set_address", b.set_address));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_start", b.start));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_open_system", b.open_system));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_call_method", b.call_method));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_message_unref", b.message_unref));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_error_free", b.error_free));
  FOUCTL_TRY(util::bind_symbol(so, "sd_bus_flush_close_unref", b.close));
  loaded = true;
  return &b;
}

using Bus = std::unique_ptr<sd_bus, decltype(SdBus::close)>;

util::Result<Bus> connect(const SdBus &lib) {
  sd_bus *raw = nullptr;
  // As root, systemd's private socket works without a D-Bus daemon (systemctl does this).
  if (::geteuid() == 0 && lib.new_bus(&raw) >= 0) {
    Bus bus(raw, lib.close);
    if (lib.set_address(raw, "unix:path=/run/systemd/private") >= 0 && lib.start(raw) >= 0)
      return bus;
  }
  raw = nullptr;
  int r = lib.open_system(&raw);
  if (r < 0)
    return util::fail_errno("connecting to systemd", -r);
  return Bus(raw, lib.close);
}

// sd_booted(3): systemd is PID 1 when this directory exists.
bool systemd_booted() {
  struct stat st{};
  return ::lstat("/run/systemd/system/", &st) == 0 && S_ISDIR(st.st_mode);
}

} // namespace

bool relay_units_usable() {
  if (util::entered_named_netns() || !systemd_booted() || !same_netns_as_init())
    return false;
  for (const char *dir : {"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"})
    if (::access((std::string(dir) + "/fouctl-relay@.service").c_str(), F_OK) == 0)
      return true;
  return false;
}

namespace {

std::string relay_unit(const std::string &name) { return "fouctl-relay@" + name + ".service"; }

// Calls a method of systemd's Manager object. `what` names the call in errors.
template <class... Args>
util::Status manager_call(const std::string &what, const char *method, const char *signature,
                          Args... args) {
  FOUCTL_TRY_ASSIGN(const SdBus *lib, sd_bus_library());
  FOUCTL_TRY_ASSIGN(auto bus, connect(*lib));
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = nullptr;
  int r = lib->call_method(bus.get(), "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", method, &error, &reply, signature,
                           args...);
  lib->message_unref(reply);
  std::string why = r < 0 && error.message ? error.message : "";
  lib->error_free(&error);
  if (r >= 0)
    return {};
  auto e = util::fail_errno(what, -r);
  if (!why.empty())
    e.value().message = what + ": " + why;
  return e;
}

util::Status reload_manager() {
  return manager_call("reloading systemd's unit files", "Reload", "");
}

// Where `up` keeps a relay unit's settings: the tunnel as a one-tunnel config, and a runtime
// drop-in that hands the unit that file instead of /etc/fouctl/fouctl.json. Both live in
// /run, so they go at reboot with the relay itself (up is not persistent; apply is).
const std::string k_up_dir = "/run/fouctl/up";
std::string up_config(const std::string &name) { return k_up_dir + "/" + name + ".json"; }
std::string up_dropin_dir(const std::string &name) {
  return "/run/systemd/system/" + relay_unit(name) + ".d";
}
std::string up_dropin(const std::string &name) { return up_dropin_dir(name) + "/50-fouctl-up.conf"; }
std::string peer_dropin(const std::string &name) {
  return up_dropin_dir(name) + "/60-fouctl-peer.conf";
}

util::Status write_file(const std::string &path, const std::string &text, mode_t mode) {
  std::string tmp = path + ".tmp";
  util::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid())
    return util::fail_errno("creating " + tmp, errno);
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return util::fail_errno("writing " + tmp, e);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return util::fail_errno("renaming " + tmp, e);
  }
  return {};
}

util::Status make_dir(const std::string &path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return util::fail_errno("creating " + path, errno);
  return {};
}

// Removes what `up` and start_relay_unit wrote for `name`; true if there was anything.
bool remove_up_files(const std::string &name) {
  bool any = ::unlink(up_dropin(name).c_str()) == 0;
  any = (::unlink(peer_dropin(name).c_str()) == 0) || any;
  ::rmdir(up_dropin_dir(name).c_str());
  any = (::unlink(up_config(name).c_str()) == 0) || any;
  return any;
}

} // namespace

std::string relay_peer_dropin(const config::TunnelSpec &spec) {
  return "# Written by fouctl for the relay of tunnel '" + spec.name +
         "'; `fouctl down` removes it.\n"
         "# The relay's sockets may talk to its peer only (TUN traffic is not a socket's).\n"
         "[Service]\nIPAddressDeny=any\nIPAddressAllow=" +
         spec.peer.to_string() + "\n";
}

util::Status start_relay_unit(const config::TunnelSpec &spec) {
  const std::string &name = spec.name;
  const std::string unit = relay_unit(name);
  // The unit's relay runs as the service user, which cannot make the directory itself.
  FOUCTL_TRY(runtime_dir(true));
  auto undo = [&](util::Error e) {
    if (remove_up_files(name))
      (void)reload_manager();
    return tl::unexpected(std::move(e));
  };
  // The peer's allow list: a runtime drop-in, so systemd reloads before the start.
  if (auto r = make_dir(up_dropin_dir(name), 0755); !r)
    return undo(r.error());
  if (auto r = write_file(peer_dropin(name), relay_peer_dropin(spec), 0644); !r)
    return undo(r.error());
  if (auto r = reload_manager(); !r)
    return undo(r.error());
  if (auto r = manager_call("starting " + unit, "StartUnit", "ss", unit.c_str(), "replace"); !r)
    return undo(r.error());
  // StartUnit queues a job; the relay is ready once its control socket answers.
  auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (find_relay(name, nullptr))
      return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Do not leave it restarting in a loop.
  (void)manager_call("stopping " + unit, "StopUnit", "ss", unit.c_str(), "replace");
  return undo(fail(ErrorKind::system, unit + " did not start its relay within 15 s; see "
                                                  "'journalctl -u " + unit + "'")
                  .value());
}

util::Status start_up_relay_unit(const config::TunnelSpec &spec, Reporter &reporter) {
  const std::string &name = spec.name;
  FOUCTL_TRY(make_dir("/run/fouctl", 0755));
  FOUCTL_TRY(make_dir(k_up_dir, 0700));
  FOUCTL_TRY(write_file(up_config(name), config::write_config({spec}), 0600));
  auto undo = [&](util::Error e) {
    remove_up_files(name);
    (void)reload_manager();
    return tl::unexpected(std::move(e));
  };
  if (auto r = make_dir(up_dropin_dir(name), 0755); !r)
    return undo(r.error());
  if (auto r = write_file(up_dropin(name),
                          "# Written by `fouctl up " + name + "`; `fouctl down " + name +
                              "` removes it.\n[Service]\nLoadCredential=\nLoadCredential=fouctl.json:" +
                              up_config(name) + "\n",
                          0644);
      !r)
    return undo(r.error());
  reporter.action("systemctl start " + relay_unit(name) + "   # settings: " + up_config(name));
  if (auto r = start_relay_unit(spec); !r)
    return undo(r.error());
  return {};
}

void forget_up_relay_unit(const std::string &name) {
  if (remove_up_files(name))
    (void)reload_manager();
}

} // namespace fouctl::backend
