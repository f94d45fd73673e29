#pragma once
// fou_decap on a device's clsact ingress hook, through libbpf's bpf_tc_* (netlink inside).
// fouctl's filter is the one with handle k_tc_handle at priority k_tc_priority running a
// program named fou_decap; fouctl never touches another filter, and removes a clsact
// qdisc only when it made it and nothing else is attached.
#include <cstdint>
#include <optional>
#include <string>

#include "fouctl/nl/socket.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::bpf {

// "tc filter ... pref 3852 handle 0xf0c": a number of its own, away from tc's defaults
// (priority 49152 and up, handle 1) and from the small numbers people pick by hand.
inline constexpr std::uint32_t k_tc_handle = 0xf0c;
inline constexpr std::uint32_t k_tc_priority = 0xf0c;

// The program id of fouctl's ingress filter on `ifindex`, nullopt when there is none.
std::optional<std::uint32_t> decap_filter(int ifindex);
// tc qdisc add dev DEV clsact: true when this call made it, false when one was there.
util::Result<bool> add_clsact(int ifindex);
// tc filter replace dev DEV ingress pref 3852 handle 0xf0c bpf da fd PROG_FD
util::Status attach_decap(int ifindex, int prog_fd);
// tc filter del dev DEV ingress pref 3852 handle 0xf0c bpf (ENOENT: already gone, fine)
util::Status detach_decap(int ifindex);
// Whether the clsact qdisc of `ifindex` holds filters other than fouctl's.
util::Result<bool> has_foreign_filters(nl::Socket &rt, int ifindex);
// tc qdisc del dev DEV clsact
util::Status del_clsact(int ifindex);

// The `tc` command an action is shown as.
std::string tc_filter_command(const std::string &verb, const std::string &dev);

} // namespace fouctl::bpf
