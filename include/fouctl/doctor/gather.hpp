#pragma once
// Reads, for each tunnel, what doctor's checks need: sysctls, /proc counters and sockets,
// the route to the peer, FOU ports, kernel modules, the firewall. Changes nothing.
#include <vector>

#include "fouctl/backend/observed.hpp"
#include "fouctl/doctor/doctor.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::doctor {

// `obs`: the namespace's links and FOU ports (its ports are empty without FOU);
// `fou_ports_read`: whether FOU ports could be listed at all. Problems reading one fact
// leave it unset; the check then says what it could not see.
std::vector<Facts> gather(std::vector<backend::TunnelStatus> tunnels, nl::Socket &rt,
                          const backend::Observed &obs, bool fou_ports_read);

// The firewall verdict of every tunnel's receive port (doctor/gather_firewall.cpp).
void gather_firewall(std::vector<Facts> &facts);

} // namespace fouctl::doctor
