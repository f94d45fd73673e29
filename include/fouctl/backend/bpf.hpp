#pragma once
// The bpf backend (--mode bpf): FOU and GUE done by BPF programs the kernel runs
// (src/bpf/fou.bpf.c), for kernels without the fou/ipip modules. Wire-compatible with
// kernel FOU and with fouctl's relay.
//
// A bpf tunnel has no device of its own. What it is made of, all in the kernel:
//  - an entry in fou_tunnels (name, ports, local, peer, encap, MTU, addresses) and one in
//    fou_rx (local:RX_PORT -> tunnel);
//  - fou_decap on the clsact ingress hook of the underlay device (the device of the route
//    to the peer), one filter per device shared by its tunnels;
//  - per REMOTE an LPM entry (prefix -> tunnel) and a route `REMOTE encap bpf xmit
//    fou_encap dev UNDERLAY src ADDRESS proto 252 mtu lock MTU+28`;
//  - per --address a host address on lo (`noprefixroute proto 252`). The kernel backend
//    puts addresses on its device; a bpf tunnel has none, and lo is where an address that
//    belongs to no link lives. The routes name it as preferred source, so traffic into
//    the tunnel leaves from it, `ping -I ADDR` works, and the peer's packets to it are
//    delivered locally after fou_decap. Its prefix length is kept (status shows it) but
//    gives no connected route: a prefix on lo would make the whole prefix local. Route
//    subnets with REMOTE.
// status and down find all of it through the maps, which they find through the pins or
// the programs (bpf/datapath.hpp): no state file.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fouctl/backend/reporter.hpp"
#include "fouctl/backend/status.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::backend {

// Whether an error of the bpf backend only says that this kernel or process cannot do BPF
// (so there can be no bpf tunnel to find), rather than that finding one failed.
bool bpf_unusable(const util::Error &e);

class BpfBackend {
public:
  static util::Result<BpfBackend> open();

  // What the bpf backend needs and this process or kernel lacks (bpf::probe), empty when
  // it can work. For `auto` to choose between bpf and the relay.
  std::vector<std::string> missing();
  // Brings the tunnel up, or confirms it is up exactly as asked (returns false: nothing
  // changed), completing what is missing (a route or address deleted by hand, the
  // filter). On failure everything this call made is removed again.
  util::Result<bool> up(const config::TunnelSpec &spec, Reporter &reporter);
  // Takes down the bpf tunnel named `name`, or receiving on `rx_port` when `name` is
  // empty. Returns its name, or nullopt when there is no such bpf tunnel (nothing done).
  util::Result<std::optional<std::string>> down(const std::string &name, std::uint16_t rx_port,
                                                Reporter &reporter);
  // Every bpf tunnel of this namespace, with its counters.
  util::Result<std::vector<TunnelStatus>> list();

private:
  explicit BpfBackend(nl::Socket rt) : m_rt(std::move(rt)) {}
  nl::Socket m_rt;
};

} // namespace fouctl::backend
