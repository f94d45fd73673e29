#pragma once
// Loading kernel modules through libkmod (never by running modprobe).
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::kmod {

// Loads `name` and its dependencies unless it is loaded or built in. ErrorKind::missing
// names the module and the kernel option (`config_option`) when the kernel has neither.
util::Status load_module(const std::string &name, const std::string &config_option);

// Whether `name` is loaded (or built in), could be loaded, or is missing, without loading
// it: for `fouctl doctor`, which changes nothing. `why` says what is missing.
struct ModuleState {
  enum class State { loaded, available, missing } state = State::missing;
  std::string why;
};
ModuleState module_state(const std::string &name);

} // namespace fouctl::kmod
