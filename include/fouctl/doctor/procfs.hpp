#pragma once
// Parsers for the /proc files doctor reads. Pure: the caller reads the text.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "fouctl/doctor/doctor.hpp"

namespace fouctl::doctor {

// The sockets of /proc/net/udp (family 4) or /proc/net/udp6 (family 6) bound to `port`.
// Lines that do not parse are skipped. pid and comm are left for the caller.
std::vector<SocketFacts> parse_proc_udp(std::string_view text, int family, std::uint16_t port);

// A counter of /proc/net/netstat or /proc/net/snmp ("TcpExt", "IPReversePathFilter"): the
// files pair a header line of names with a line of values under the same prefix.
std::optional<std::uint64_t> parse_netstat(std::string_view text, std::string_view group,
                                           std::string_view name);

// Printable ASCII only, at most `max` characters: for text another process chose (its comm).
std::string printable(std::string_view text, std::size_t max);

} // namespace fouctl::doctor
