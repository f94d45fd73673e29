#pragma once
// Does netfilter's input path let the tunnel's UDP datagrams in? Answered by reading the
// ruleset as `nft -j list ruleset` prints it (nftables JSON, which also holds the rules
// iptables-nft made), never by sending traffic. Pure: no syscalls; nft_read.hpp fetches
// the JSON.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fouctl/util/ip.hpp"

namespace fouctl::doctor {

// One datagram the tunnel must receive.
struct UdpFlow {
  util::IpAddr src;         // the peer (outer source)
  util::IpAddr dst;         // the local address (unset: any local address)
  std::uint16_t sport = 0;  // the peer's TX port (0: unknown, any)
  std::uint16_t dport = 0;  // the tunnel's RX port
  std::string iifname = {}; // the underlay device it arrives on ("" if unknown)
};

enum class FirewallOutcome { accepted, dropped, rejected, unknown };

// "accepted", "dropped", "rejected", "unknown".
const char *to_string(FirewallOutcome outcome);

struct FirewallVerdict {
  FirewallOutcome outcome = FirewallOutcome::accepted;
  // Where it happens: "table inet filter, chain input (hook input, priority 0): rule
  // 'udp dport 5555 drop' (handle 4)", or why the outcome cannot be told. With ct state
  // rules on the way, says which conntrack state (new: the peer's first datagram) it is for.
  std::string evidence = {};
  // A command that would let the datagram in ("nft insert rule inet filter input ip saddr
  // 192.0.2.1 udp dport 5555 accept", "nft delete rule inet filter input handle 4", or the
  // iptables form for a table iptables-nft made); empty when accepted.
  std::string fix = {};
};

// `ruleset`: the JSON `nft -j list ruleset` prints (libnftables JSON, schema version 1).
// Walks the base chains the datagram meets: netdev ingress, then filter chains hooked at
// prerouting and input of the tables of its family (ip or ip6, and inet), each hook in
// priority order, following jump/goto. Evaluates the flow both as conntrack state `new`
// and `established` and reports the worse. A rule holding a match it cannot evaluate
// (xt matches, fib, socket, ...) "may apply": when it could drop the datagram, or could
// accept it before a later drop, the outcome is `unknown` and the evidence names it.
// Never throws: malformed JSON parts make the outcome `unknown`.
FirewallVerdict input_verdict(const nlohmann::json &ruleset, const UdpFlow &flow);

} // namespace fouctl::doctor
