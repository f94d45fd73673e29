#pragma once
// Libraries loaded when first needed. libkmod (with libcrypto behind it) and libsystemd
// (libgcrypt, lz4, zstd, lzma) are most of what a dynamically linked fouctl spends at
// start-up, yet most runs need neither: modules are usually loaded already, and only a
// few commands talk to systemd. So they are opened on first use, as systemd does for its
// optional libraries. The package still depends on both (debian/control).
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::util {

// The address of `symbol` in the shared library `soname` (opened once, never closed).
// ErrorKind::missing, naming the library and the linker's reason, when either is absent.
Result<void *> library_symbol(const char *soname, const char *symbol);

// Fills `slot` (a function pointer declared with the library's own prototype, so calls
// stay type-checked) from `soname`.
template <class Fn> Status bind_symbol(const char *soname, const char *symbol, Fn &slot) {
  FOUCTL_TRY_ASSIGN(void *p, library_symbol(soname, symbol));
  slot = reinterpret_cast<Fn>(p);
  return {};
}

} // namespace fouctl::util
