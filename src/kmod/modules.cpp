#include "fouctl/kmod/modules.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <libkmod.h>

#include "fouctl/util/dynlib.hpp"

namespace fouctl::kmod {

using util::ErrorKind;
using util::fail;

namespace {

// The part of libkmod fouctl uses, opened on first use (see util/dynlib.hpp).
struct Kmod {
  decltype(&::kmod_new) new_ctx = nullptr;
  decltype(&::kmod_unref) unref = nullptr;
  decltype(&::kmod_load_resources) load_resources = nullptr;
  decltype(&::kmod_module_new_from_lookup) new_from_lookup = nullptr;
  decltype(&::kmod_list_next) list_next = nullptr;
  decltype(&::kmod_module_get_module) get_module = nullptr;
  decltype(&::kmod_module_get_initstate) get_initstate = nullptr;
  decltype(&::kmod_module_probe_insert_module) probe_insert = nullptr;
  decltype(&::kmod_module_unref) module_unref = nullptr;
  decltype(&::kmod_module_unref_list) unref_list = nullptr;
};

util::Result<const Kmod *> kmod_library() {
  static Kmod k;
  static bool loaded = false;
  if (loaded)
    return &k;
  const char *so = "libkmod.so.2";
  FOUCTL_TRY(util::bind_symbol(so, "kmod_new", k.new_ctx));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_unref", k.unref));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_load_resources", k.load_resources));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_new_from_lookup", k.new_from_lookup));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_list_next", k.list_next));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_get_module", k.get_module));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_get_initstate", k.get_initstate));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_probe_insert_module", k.probe_insert));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_unref", k.module_unref));
  FOUCTL_TRY(util::bind_symbol(so, "kmod_module_unref_list", k.unref_list));
  loaded = true;
  return &k;
}

std::string kernel_release() {
  utsname u{};
  ::uname(&u);
  return u.release;
}

util::Error missing(const std::string &name, const std::string &option, const std::string &why) {
  util::Error e;
  e.kind = ErrorKind::missing;
  e.message = "the kernel has no '" + name + "' module (" + option + "): " + why;
  return e;
}

} // namespace

util::Status load_module(const std::string &name, const std::string &config_option) {
  // Loaded or built in: nothing to do, and no need to read the module index (slow).
  if (::access(("/sys/module/" + name).c_str(), F_OK) == 0)
    return {};
  auto lib = kmod_library();
  if (!lib)
    return tl::unexpected(missing(name, config_option, lib.error().message));
  const Kmod &k = **lib;
  std::unique_ptr<kmod_ctx, decltype(k.unref)> ctx(k.new_ctx(nullptr, nullptr), k.unref);
  if (!ctx)
    return tl::unexpected(missing(name, config_option, "libkmod could not start"));
  k.load_resources(ctx.get());

  kmod_list *raw = nullptr;
  int rc = k.new_from_lookup(ctx.get(), name.c_str(), &raw);
  std::unique_ptr<kmod_list, decltype(k.unref_list)> list(raw, k.unref_list);
  if (rc < 0 || raw == nullptr) {
    // Built-in modules appear in /sys/module even without modules.builtin.
    if (::access(("/sys/module/" + name).c_str(), F_OK) == 0)
      return {};
    return tl::unexpected(missing(name, config_option,
                                  "not found in /lib/modules/" + kernel_release()));
  }
  for (kmod_list *it = raw; it != nullptr; it = k.list_next(raw, it)) {
    kmod_module *mod = k.get_module(it);
    int state = k.get_initstate(mod);
    if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
      k.module_unref(mod);
      return {};
    }
    rc = k.probe_insert(mod, KMOD_PROBE_APPLY_BLACKLIST, nullptr, nullptr, nullptr, nullptr);
    k.module_unref(mod);
    if (rc == 0)
      return {};
  }
  int err = rc < 0 ? -rc : EINVAL;
  auto e = missing(name, config_option, std::string("loading it failed: ") + std::strerror(err));
  e.errnum = err;
  return tl::unexpected(e);
}

ModuleState module_state(const std::string &name) {
  using S = ModuleState::State;
  if (::access(("/sys/module/" + name).c_str(), F_OK) == 0)
    return {S::loaded, {}};
  auto lib = kmod_library();
  if (!lib)
    return {S::missing, lib.error().message};
  const Kmod &k = **lib;
  std::unique_ptr<kmod_ctx, decltype(k.unref)> ctx(k.new_ctx(nullptr, nullptr), k.unref);
  if (!ctx)
    return {S::missing, "libkmod could not start"};
  kmod_list *raw = nullptr;
  const int rc = k.new_from_lookup(ctx.get(), name.c_str(), &raw);
  std::unique_ptr<kmod_list, decltype(k.unref_list)> list(raw, k.unref_list);
  if (rc < 0 || raw == nullptr)
    return {S::missing, "not found in /lib/modules/" + kernel_release()};
  return {S::available, {}};
}

} // namespace fouctl::kmod
