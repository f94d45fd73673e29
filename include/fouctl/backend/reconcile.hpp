#pragma once
// `fouctl apply`: the live state as the planner's State, and the executor that carries a
// plan out, undoing what it did if a step fails (all or nothing).
#include <vector>

#include "fouctl/backend/bpf.hpp"
#include "fouctl/backend/kernel.hpp"
#include "fouctl/backend/reporter.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/plan/plan.hpp"

namespace fouctl::backend {

struct Live {
  KernelBackend &kernel;
  bool kernel_ok; // the kernel can do FOU/IPIP (modules loaded)
  UserspaceBackend &relay;
  // Start relays as fouctl-relay@NAME.service (systemd runs, and the config is the one
  // the units read) instead of forking them.
  bool relay_units = false;
  // The bpf backend, when this process can use BPF at all (null: no bpf tunnels to see or
  // make); bpf_ok: it can also make them (nothing missing, bpf::probe).
  BpfBackend *bpf = nullptr;
  bool bpf_ok = false;
};

// Everything fouctl owns in this namespace, kernel tunnels and relays.
util::Result<plan::State> observed_state(Live &live, Observed &obs);

// The config's tunnels with `auto` resolved to kernel, bpf or userspace (choose_mode).
plan::State desired_state(const std::vector<config::TunnelSpec> &tunnels, bool kernel_ok,
                          bool bpf_ok);

// Carries out `actions`; on failure undoes the executed ones in reverse and returns the
// original error with any rollback failure added.
util::Status execute(Live &live, Observed &obs, const std::vector<plan::Action> &actions,
                     Reporter &reporter);

} // namespace fouctl::backend
