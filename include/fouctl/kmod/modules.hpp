#pragma once
// Loading kernel modules through libkmod (never by running modprobe).
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::kmod {

// Loads `name` and its dependencies unless it is loaded or built in. ErrorKind::missing
// names the module and the kernel option (`config_option`) when the kernel has neither.
util::Status load_module(const std::string &name, const std::string &config_option);

} // namespace fouctl::kmod
