#include "fouctl/backend/choose.hpp"

#include "fouctl/bpf/abi.h"
#include "fouctl/kind/kind.hpp"

namespace fouctl::backend {

namespace {

std::string joined(const std::vector<std::string> &v) {
  std::string out;
  for (const auto &s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

} // namespace

bool bpf_can_carry(const config::TunnelSpec &spec, std::string *why) {
  auto no = [&](const std::string &reason) {
    if (why != nullptr)
      *why = reason;
    return false;
  };
  if (!spec.tun_device.empty() || spec.framing != config::Framing::raw)
    return no("--tun-device and --framing are relay options");
  // A loopback peer is the seed's custom link: a program on this host reads the FOU
  // payload, and locally made packets leave the BPF path with their inner checksums
  // unfinished (CHECKSUM_PARTIAL), as with a kernel tunnel whose offload is on. The relay
  // finishes them.
  if (spec.peer.is_loopback())
    return no("a loopback peer (a link program on this host) is served by the relay");
  if (spec.offload != config::Offload::automatic)
    return no("--offload is a setting of kernel tunnels");
  if (spec.addresses.size() > FOUCTL_BPF_MAX_ADDRS)
    return no("the BPF datapath takes at most " + std::to_string(FOUCTL_BPF_MAX_ADDRS) +
              " addresses per tunnel");
  return true;
}

ModeChoice choose_mode(const config::TunnelSpec &spec, const std::string &kernel_missing,
                       const std::vector<std::string> &bpf_missing) {
  if (spec.mode != config::Mode::automatic)
    return {spec.mode, {}};
  std::string kernel_why;
  const bool relay_only = !spec.tun_device.empty() || spec.framing != config::Framing::raw;
  if (relay_only)
    return {config::Mode::userspace, "--tun-device and --framing are relay options; using the "
                                     "userspace relay"};
  if (!kind::kernel_can_carry(spec, &kernel_why))
    ; // the reason is set
  else if (!kernel_missing.empty())
    kernel_why = kernel_missing;
  else
    return {config::Mode::kernel, {}};
  std::string bpf_why;
  if (!bpf_can_carry(spec, &bpf_why))
    return {config::Mode::userspace, kernel_why + "; " + bpf_why + "; using the userspace relay"};
  if (!bpf_missing.empty())
    return {config::Mode::userspace, kernel_why + "; no BPF datapath (" + joined(bpf_missing) +
                                         "); using the userspace relay"};
  return {config::Mode::bpf, kernel_why + "; using the BPF datapath"};
}

} // namespace fouctl::backend
