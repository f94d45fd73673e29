#pragma once
// Addresses and routes of a tunnel device: the part every backend shares.
#include <string>

#include "fouctl/backend/observed.hpp"
#include "fouctl/backend/transaction.hpp"
#include "fouctl/config/tunnel.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::backend {

// Refuses routes to the spec's REMOTEs that exist and are not this tunnel's own
// (fouctl's protocol on `own_ifindex`; 0 = the tunnel has no device yet).
util::Status check_routes_free(const config::TunnelSpec &spec, const Observed &obs,
                               int own_ifindex);

// Adds the spec's addresses and routes that `ifindex` lacks, each undoable through `tx`.
// Sets `changed` when it added anything.
util::Status add_addresses_and_routes(nl::Socket &rt, Transaction &tx, const Observed &obs,
                                      int ifindex, const config::TunnelSpec &spec, bool &changed);

// Removes fouctl's routes through `ifindex` (the kernel removes them with the device; this
// is for devices that outlive the tunnel). Keeps going on errors; returns the first.
util::Status remove_routes(nl::Socket &rt, const Observed &obs, int ifindex,
                           const std::string &name, Reporter &reporter);

} // namespace fouctl::backend
