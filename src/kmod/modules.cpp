#include "fouctl/kmod/modules.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <libkmod.h>

namespace fouctl::kmod {

using util::ErrorKind;
using util::fail;

namespace {

struct CtxDeleter {
  void operator()(kmod_ctx *c) const { kmod_unref(c); }
};
struct ListDeleter {
  void operator()(kmod_list *l) const { kmod_module_unref_list(l); }
};

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
  std::unique_ptr<kmod_ctx, CtxDeleter> ctx(kmod_new(nullptr, nullptr));
  if (!ctx)
    return tl::unexpected(missing(name, config_option, "libkmod could not start"));
  kmod_load_resources(ctx.get());

  kmod_list *raw = nullptr;
  int rc = kmod_module_new_from_lookup(ctx.get(), name.c_str(), &raw);
  std::unique_ptr<kmod_list, ListDeleter> list(raw);
  if (rc < 0 || raw == nullptr) {
    // Built-in modules appear in /sys/module even without modules.builtin.
    if (::access(("/sys/module/" + name).c_str(), F_OK) == 0)
      return {};
    return tl::unexpected(missing(name, config_option,
                                  "not found in /lib/modules/" + kernel_release()));
  }
  kmod_list *it = nullptr;
  kmod_list_foreach(it, raw) {
    kmod_module *mod = kmod_module_get_module(it);
    int state = kmod_module_get_initstate(mod);
    if (state == KMOD_MODULE_BUILTIN || state == KMOD_MODULE_LIVE) {
      kmod_module_unref(mod);
      return {};
    }
    rc = kmod_module_probe_insert_module(mod, KMOD_PROBE_APPLY_BLACKLIST, nullptr, nullptr,
                                         nullptr, nullptr);
    kmod_module_unref(mod);
    if (rc == 0)
      return {};
  }
  int err = rc < 0 ? -rc : EINVAL;
  auto e = missing(name, config_option, std::string("loading it failed: ") + std::strerror(err));
  e.errnum = err;
  return tl::unexpected(e);
}

} // namespace fouctl::kmod
