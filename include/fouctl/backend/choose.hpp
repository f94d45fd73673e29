#pragma once
// The `auto` rule, in one place: the kernel's FOU when it has the modules and a kernel kind
// carries the tunnel; else the BPF datapath when this kernel and process can run it and
// it carries the tunnel; else the userspace relay. Pure: the callers probe (modules,
// bpf::probe) and hand in what they found.
#include <string>
#include <vector>

#include "fouctl/config/tunnel.hpp"

namespace fouctl::backend {

struct ModeChoice {
  config::Mode mode = config::Mode::userspace;
  std::string why; // for a choice other than the kernel: one line, "no fou module; ..."
};

// Whether the BPF datapath carries `spec` (the spec alone, not the host); `why` gets the
// reason when not.
bool bpf_can_carry(const config::TunnelSpec &spec, std::string *why = nullptr);

// `kernel_missing`: why the kernel cannot do FOU (empty when it can); `bpf_missing`: what
// the BPF datapath lacks here (bpf::probe; empty when it can run).
ModeChoice choose_mode(const config::TunnelSpec &spec, const std::string &kernel_missing,
                       const std::vector<std::string> &bpf_missing);

} // namespace fouctl::backend
