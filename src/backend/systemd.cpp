#include "fouctl/backend/systemd.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

#include "fouctl/relay/control.hpp"

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

struct BusDeleter {
  void operator()(sd_bus *b) const { sd_bus_flush_close_unref(b); }
};

util::Result<std::unique_ptr<sd_bus, BusDeleter>> connect() {
  sd_bus *raw = nullptr;
  // As root, systemd's private socket works without a D-Bus daemon (systemctl does this).
  if (::geteuid() == 0 && sd_bus_new(&raw) >= 0) {
    std::unique_ptr<sd_bus, BusDeleter> bus(raw);
    if (sd_bus_set_address(raw, "unix:path=/run/systemd/private") >= 0 && sd_bus_start(raw) >= 0)
      return bus;
  }
  raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0)
    return util::fail_errno("connecting to systemd", -r);
  return std::unique_ptr<sd_bus, BusDeleter>(raw);
}

} // namespace

bool relay_units_usable() {
  if (sd_booted() <= 0 || !same_netns_as_init())
    return false;
  for (const char *dir : {"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"})
    if (::access((std::string(dir) + "/fouctl-relay@.service").c_str(), F_OK) == 0)
      return true;
  return false;
}

util::Status start_relay_unit(const std::string &name) {
  std::string unit = "fouctl-relay@" + name + ".service";
  FOUCTL_TRY_ASSIGN(auto bus, connect());
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = nullptr;
  int r = sd_bus_call_method(bus.get(), "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                             "org.freedesktop.systemd1.Manager", "StartUnit", &error, &reply,
                             "ss", unit.c_str(), "replace");
  sd_bus_message_unref(reply);
  if (r < 0) {
    std::string why = error.message ? error.message : "";
    sd_bus_error_free(&error);
    auto e = util::fail_errno("starting " + unit, -r);
    if (!why.empty())
      e.value().message = "starting " + unit + ": " + why;
    return e;
  }
  sd_bus_error_free(&error);
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
