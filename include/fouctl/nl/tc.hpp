#pragma once
// Traffic-control filters, read over rtnetlink: enough to tell whether a clsact qdisc
// holds filters other than fouctl's before fouctl removes a qdisc it made. (Attaching
// goes through libbpf's bpf_tc_* calls, see src/bpf/tc.cpp.)
#include <cstdint>
#include <string>
#include <vector>

#include "fouctl/nl/message.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::nl {

// tcm_parent of clsact's two hooks: TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS / _EGRESS).
constexpr std::uint32_t k_tc_parent_ingress = 0xfffffff2u;
constexpr std::uint32_t k_tc_parent_egress = 0xfffffff3u;

struct FilterInfo {
  std::uint32_t parent = 0;
  std::uint32_t handle = 0;   // 0 for the line that stands for a priority's classifier
  std::uint16_t priority = 0; // "pref"
  std::uint16_t protocol = 0; // ETH_P_*, network order as the kernel keeps it
  std::string kind;           // TCA_KIND: "bpf", "u32", ...
  bool operator==(const FilterInfo &) const = default;
};

struct QdiscInfo {
  int ifindex = 0;
  std::uint32_t handle = 0;
  std::uint32_t parent = 0;
  std::string kind; // TCA_KIND: "clsact", "noqueue", "fq_codel", ...
  bool operator==(const QdiscInfo &) const = default;
};

// tc qdisc show
Result<Message> build_qdisc_dump();
Result<QdiscInfo> parse_qdisc(const Reply &r);
Result<std::vector<QdiscInfo>> qdisc_list(Socket &rt);

// tc filter show dev #IFINDEX ingress|egress (parent = k_tc_parent_*)
Result<Message> build_filter_dump(int ifindex, std::uint32_t parent);
Result<FilterInfo> parse_filter(const Reply &r);
// The filters under `parent` of device `ifindex`; empty when it has no such qdisc.
Result<std::vector<FilterInfo>> filter_list(Socket &rt, int ifindex, std::uint32_t parent);

} // namespace fouctl::nl
