#include "fouctl/backend/systemd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <systemd/sd-bus.h>

#include "fouctl/relay/control.hpp"
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

util::Status start_relay_unit(const std::string &name) {
  std::string unit = "fouctl-relay@" + name + ".service";
  FOUCTL_TRY_ASSIGN(const SdBus *lib, sd_bus_library());
  FOUCTL_TRY_ASSIGN(auto bus, connect(*lib));
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = nullptr;
  int r = lib->call_method(bus.get(), "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "StartUnit", &error, &reply, "ss",
                           unit.c_str(), "replace");
  lib->message_unref(reply);
  if (r < 0) {
    std::string why = error.message ? error.message : "";
    lib->error_free(&error);
    auto e = util::fail_errno("starting " + unit, -r);
    if (!why.empty())
      e.value().message = "starting " + unit + ": " + why;
    return e;
  }
  lib->error_free(&error);
  // StartUnit queues a job; the relay is ready once its control socket answers.
  auto deadline = std::chrono::steady_clock::now() + k_start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (relay::control_request(name, "status"))
      return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail(ErrorKind::system, unit + " did not start its relay within 15 s; see 'journalctl -u " +
                                     unit + "'");
}

} // namespace fouctl::backend
