#pragma once
// The BPF datapath (src/bpf/fou.bpf.c), compiled at build time and embedded in fouctl.
#include <span>

namespace fouctl::bpf {

// The ELF object as clang wrote it (BTF included), for bpf_object__open_mem().
std::span<const unsigned char> embedded_object();

} // namespace fouctl::bpf
