#pragma once
// The planner: desired state x observed state -> ordered actions. Pure: no syscalls, so
// it is unit-tested on in-memory states, including generated ones (applying plan(a, b) to a
// gives b; plan(b, b) is empty).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fouctl/config/tunnel.hpp"

namespace fouctl::plan {

// One tunnel as the planner sees it. `spec.mode` is resolved: kernel or userspace.
struct TunnelState {
  config::TunnelSpec spec;
  // Routes into the device that fouctl did not make (an address's connected route): they
  // satisfy a wanted route but are never deleted by the planner.
  std::vector<util::Prefix> foreign_routes;
  // Kernel tunnels: the kind ("ipip", "sit", "ipip6", "ip6ip6"), observed or chosen
  // (kind::for_spec).
  // Another kind cannot be changed into: the tunnel is recreated.
  std::string kind = {};
  // Observed only: the device is administratively down (set so by hand).
  bool down = false;
  // Observed relays only: the MTU the relay process was started with, when it differs from
  // the device's (spec.mtu, as the kernel reports it). Changing it restarts the relay;
  // the device's MTU alone is set in place.
  std::uint32_t relay_mtu = 0;
  bool operator==(const TunnelState &) const = default;
};

using State = std::map<std::string, TunnelState>; // by tunnel name

enum class ActionKind {
  remove,       // take a tunnel down entirely (spec: what it was, for rollback)
  del_route,
  del_address,
  set_mtu,      // the device's MTU, in place (a relay's own MTU restarts it instead)
  change_encap, // kernel: tx_port / peer / local in place (RTM_NEWLINK on the device)
  change_port,  // kernel: move the FOU receive port (and the device's mark)
  set_offload,  // kernel: tx checksum offload on or off, in place
  link_up,      // bring a device that was set down back up, in place
  link_down,    // only as the inverse of link_up (rollback)
  add_address,
  add_route,
  create,       // bring a tunnel up (spec: what to create)
};

struct Action {
  ActionKind kind;
  std::string tunnel;
  config::TunnelSpec spec;     // create/remove/change_*: the tunnel's spec after the action
  config::TunnelSpec before;   // change_*/set_*: the spec before (for rollback and echo)
  util::Prefix prefix;         // routes and addresses
  bool operator==(const Action &) const = default;
};

// Whether `have` already satisfies `want` for the fields that can change in place.
// A loopback tunnel without an explicit local accepts whatever 127.0.0.N it was given.
bool same_outer(const config::TunnelSpec &have, const config::TunnelSpec &want);

// Orders: removals, deletions within tunnels, in-place changes, additions, creations, so
// that a route or port moving between tunnels is freed before it is taken.
std::vector<Action> make_plan(const State &observed, const State &desired);

// The state after the actions, as the executor would leave it. Pure, for tests.
State apply_actions(State s, const std::vector<Action> &actions);

// The inverse of an executed action (for rollback).
Action inverse(const Action &a);

// "ip link add ..." style text for one action.
std::string describe(const Action &a);

} // namespace fouctl::plan
