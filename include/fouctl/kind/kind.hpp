#pragma once
// Kernel tunnel kinds: one row per kind of device fouctl makes with FOU encapsulation
// (systemd-networkd's netdev vtable is the model). What differs between kinds lives in the
// row: the device kind, the families it carries, the FOU port's inner protocol, its module,
// and the `ip` text of its commands. Adding a kind is one file in src/kind/ (its row) plus
// one entry in src/kind/table.cpp.
//
// A kind is chosen from the addresses (choose): the peer's family is the underlay, the
// REMOTEs' family the inner one. A kernel device and its FOU port carry one inner family
// (the port hands every payload to one protocol handler): a tunnel whose REMOTEs hold both
// is not a kernel tunnel. `auto` then means the relay, which carries both over one port;
// `--mode kernel` is refused with what to do instead.
#include <cstdint>
#include <span>
#include <string>

#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/fou.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::kind {

struct Kind {
  const char *name;          // as iproute2 names it: "ipip", "sit", "ipip6", "ip6ip6"
  const char *link_kind;     // IFLA_INFO_KIND: "ipip", "sit", "ip6tnl"
  const char *ip_type;       // what follows "type" in `ip link add`: "ip6tnl mode ipip6"
  int underlay;              // family of peer and local: 4 or 6
  int inner;                 // family of the routes and packets carried: 4 or 6
  std::uint8_t ipproto;      // the FOU port's inner protocol (IFLA_IPTUN_PROTO too)
  const char *module;        // the kernel module behind link_kind
  const char *config_option; // its Kconfig option, for messages
  const char *fou_module;    // the FOU encapsulation's module: fou (IPv4), fou6 (IPv6)
  const char *fou_option;
};

// Every kind, in the order they are tried.
std::span<const Kind *const> all();

// The kind of kernel tunnel `spec` asks for, from its peer's and REMOTEs' families; a usage
// error naming the reason when no kernel tunnel can carry it.
util::Result<const Kind *> for_spec(const config::TunnelSpec &spec);
// Whether `spec` can be a kernel tunnel at all (the `auto` rule, in one place); `why` gets
// the reason when not.
bool kernel_can_carry(const config::TunnelSpec &spec, std::string *why = nullptr);
// The kind of an existing device (by IFLA_INFO_KIND, and for ip6tnl its inner protocol);
// null when it is none of these.
const Kind *of_link(const nl::LinkInfo &link);

// The device to create for `spec` with local address `local` (resolved by the caller).
nl::IpipLinkSpec link_spec(const Kind &k, const config::TunnelSpec &spec, const util::IpAddr &local);
// A FOU receive port on `port`, unbound: direct with the kind's protocol, or GUE.
nl::FouPort fou_port(const Kind &k, std::uint16_t port, config::Encap encap = config::Encap::fou);
// The FOU receive port of `spec`: bound to (local, peer, TX_PORT) with --bind-peer.
nl::FouPort fou_port(const Kind &k, const config::TunnelSpec &spec);

// `ip` text, for echoes and plans.
std::string ip_link_add(const Kind &k, const config::TunnelSpec &spec);
// The same with the local address the kernel backend chose (127.0.0.N for a loopback peer).
std::string ip_link_add(const Kind &k, const config::TunnelSpec &spec, const util::IpAddr &local);
std::string ip_link_change(const Kind &k, const config::TunnelSpec &spec);

} // namespace fouctl::kind
