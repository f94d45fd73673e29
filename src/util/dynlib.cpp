#include "fouctl/util/dynlib.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>

namespace fouctl::util {

Result<void *> library_symbol(const char *soname, const char *symbol) {
  static std::mutex lock;
  static std::map<std::string, void *> handles;
  std::lock_guard guard(lock);
  void *&handle = handles[soname];
  if (handle == nullptr) {
    handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char *why = ::dlerror();
      return fail(ErrorKind::missing,
                  std::string("cannot load ") + soname + ": " + (why ? why : "unknown reason"));
    }
  }
  ::dlerror();
  void *p = ::dlsym(handle, symbol);
  if (p == nullptr) {
    const char *why = ::dlerror();
    return fail(ErrorKind::missing, std::string(soname) + " has no " + symbol +
                                        (why ? std::string(": ") + why : std::string()));
  }
  return p;
}

} // namespace fouctl::util
