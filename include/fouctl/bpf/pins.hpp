#pragma once
// Where the datapath of a network namespace is pinned: /sys/fs/bpf/fouctl/<netns key>/,
// with one file per map and program (named as in fou.bpf.c). Like /run/fouctl (see
// backend/runtime.hpp), every directory of the path must be a real directory, owned by
// root and writable by nobody else: a pin is a handle on code the kernel runs for every
// tunnel packet.
#include <optional>
#include <string>

#include "fouctl/util/result.hpp"

namespace fouctl::bpf {

inline constexpr const char *k_bpffs = "/sys/fs/bpf";

// The pin directory of this namespace. `create`: mount bpffs on /sys/fs/bpf if nothing
// is mounted there (as tc does), and make the directories. nullopt when there is no
// bpffs to pin into (not mounted and `create` is false, or it cannot be mounted: then the
// datapath lives on through its routes and filters alone); an error when a directory
// exists but is not as it must be.
util::Result<std::optional<std::string>> pin_dir(bool create);

// Removes the pins in `dir` and the directory itself (the last bpf tunnel is down).
util::Status remove_pins(const std::string &dir);

} // namespace fouctl::bpf
