#pragma once
// Evaluating and printing single nftables JSON expressions (libnftables' JSON schema,
// version 1) against one UDP datagram: the building blocks of doctor/firewall.cpp.
#include <map>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "fouctl/doctor/firewall.hpp"

namespace fouctl::doctor::nft {

// Three-valued: a match fouctl cannot evaluate "may" hold.
enum class Tri { no, yes, maybe };

// What conntrack says about the datagram when a chain sees it.
enum class CtState { new_conn, established, untracked };

// Named sets and maps of the ruleset, by (family, table, name); each value is the
// object's "elem" array.
using NamedSets = std::map<std::tuple<std::string, std::string, std::string>, nlohmann::json>;

// Everything an expression may look at.
struct Packet {
  const UdpFlow &flow;
  CtState ct = CtState::new_conn;
  const NamedSets &sets;
  std::string family; // the table's family: ip, ip6, inet, netdev
  std::string table;
};

struct MatchResult {
  Tri tri = Tri::no;
  std::string unknown = {}; // why it is `maybe`: "xt match 'conntrack'"
  bool uses_ct = false;     // the answer depends on the conntrack state
};

// One {"match": {...}} body (or the key of a verdict map against one element).
MatchResult eval_match(const nlohmann::json &match, const Packet &p);
// The key expression `key` against one set element (value, prefix, range, concat).
MatchResult eval_key_in(const nlohmann::json &key, const nlohmann::json &element,
                        const Packet &p);

// A rule's expression array as nft prints it, roughly: "udp dport 5555 counter drop".
// Parts it does not know are shown as compact JSON; at most ~240 characters.
std::string render_rule(const nlohmann::json &exprs);

} // namespace fouctl::doctor::nft
