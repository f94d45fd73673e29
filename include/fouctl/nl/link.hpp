#pragma once
// rtnetlink links: IPIP devices with FOU encapsulation, TUN devices, and reading links
// back with their tunnel parameters and counters.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fouctl/nl/message.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::nl {

// IFLA_IPTUN_* of an ipip (or sit) device. Ports are host order here; the builder
// converts ENCAP_SPORT/DPORT to network order and leaves ENCAP_TYPE/FLAGS in host order,
// matching the kernel's (inconsistent) expectations.
struct IptunParams {
  util::IpAddr local;
  util::IpAddr remote;
  std::uint8_t ttl = 64;
  std::uint8_t proto = 4; // IPPROTO_IPIP
  bool pmtudisc = true;
  std::uint16_t encap_type = 1; // TUNNEL_ENCAP_FOU
  std::uint16_t encap_flags = 0;
  std::uint16_t encap_sport = 0; // 0 = per-flow hash
  std::uint16_t encap_dport = 0;
  std::uint32_t link = 0;
  std::uint32_t fwmark = 0;
  std::uint32_t ip6_flags = 0; // ip6tnl only: IP6_TNL_F_* (1 = encaplimit none)
  bool operator==(const IptunParams &) const = default;
};

struct LinkCounters {
  std::uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  std::uint64_t rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
};

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind; // IFLA_INFO_KIND: "ipip", "tun", ... ; empty for kindless devices
  std::string alias;
  std::uint32_t mtu = 0;
  unsigned flags = 0; // IFF_*
  std::uint16_t type = 0; // ifi_type: ARPHRD_ETHER, ARPHRD_LOOPBACK, ARPHRD_NONE (TUN)...
  std::optional<IptunParams> tunnel;
  std::optional<std::uint32_t> tun_owner; // a TUN device's owner uid, if it has one
  LinkCounters counters;
  [[nodiscard]] bool is_up() const;
};

struct IpipLinkSpec {
  std::string kind = "ipip"; // IFLA_INFO_KIND: "ipip", "sit" or "ip6tnl" (IFLA_IPTUN_* all)
  std::string name;
  std::uint32_t mtu = 0; // 0 = kernel default
  IptunParams tunnel;
};

// ip link add name NAME mtu MTU type ipip local L remote R ttl T encap fou encap-sport auto encap-dport P
Result<Message> build_ipip_create(const IpipLinkSpec &spec);
// ip link set dev #IFINDEX [mtu M] [alias A] [up|down]
Result<Message> build_link_set(int ifindex, std::optional<std::uint32_t> mtu,
                               std::optional<std::string> alias, std::optional<bool> up);
// ip link del dev #IFINDEX
Result<Message> build_link_del(int ifindex);
// ip -d -s link show
// `counters`: false asks the kernel to leave out every statistic (RTEXT_FILTER_SKIP_STATS),
// a third of each message, for callers that only look at configuration.
Result<Message> build_link_dump(bool counters = true);
// ip -d -s link show dev NAME (a "do" request: one link, no dump)
Result<Message> build_link_get(const std::string &name);
// ip link show dev #IFINDEX
Result<Message> build_link_get(int ifindex);
// ip link change dev #IFINDEX type ipip local L remote R ... encap-dport P: changes an
// existing ipip device in place. The kernel zeroes what is left out, so the full set is sent.
Result<Message> build_ipip_change(int ifindex, const IptunParams &tunnel,
                                  const std::string &kind = "ipip");
Result<LinkInfo> parse_link(const Reply &r);

Result<std::vector<LinkInfo>> link_list(Socket &rt, bool counters = true);
// ErrorKind::not_found when there is no such device.
Result<LinkInfo> link_get(Socket &rt, const std::string &name);
Result<LinkInfo> link_get(Socket &rt, int ifindex);
Status ipip_change(Socket &rt, int ifindex, const IptunParams &tunnel,
                   const std::string &kind = "ipip");
Result<LinkInfo> ipip_create(Socket &rt, const IpipLinkSpec &spec); // the new link, as read back
Status link_set(Socket &rt, int ifindex, std::optional<std::uint32_t> mtu,
                std::optional<std::string> alias, std::optional<bool> up);
Status link_del(Socket &rt, int ifindex);

} // namespace fouctl::nl
