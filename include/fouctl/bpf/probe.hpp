#pragma once
// Whether the bpf backend can work here: the privileges of this process and the kernel's
// BPF features. For `up --mode bpf` to refuse early with a clear reason, and for the
// `auto` mode to choose it (the integrator calls probe() before falling back to the relay).
#include <string>
#include <vector>

#include "fouctl/nl/socket.hpp"

namespace fouctl::bpf {

// What is missing, each as a phrase naming the capability or kernel option ("CAP_BPF or
// CAP_SYS_ADMIN", "BPF routes (CONFIG_LWTUNNEL_BPF)"); empty when nothing is. Loads two
// tiny probe programs and sends one route request that the kernel always refuses: it
// changes nothing.
std::vector<std::string> probe(nl::Socket &rt);

} // namespace fouctl::bpf
