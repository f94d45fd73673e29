#pragma once
// The parts of an `nft -j list ruleset` document the firewall check walks: chains with
// their rules in order, and the elements of named sets and maps.
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "nft_expr.hpp"

namespace fouctl::doctor::nft {

struct Chain {
  std::string family, table, name;
  std::string type, hook;          // empty for a regular chain
  long long prio = 0;
  std::string policy = "accept";
  std::vector<const nlohmann::json *> rules = {}; // the "rule" objects, in order
  // The table was made by iptables-nft (it has the INPUT/PREROUTING/... base chains):
  // fixes are then given as iptables commands.
  bool xtables = false;
  // An ingress chain's devices, when the JSON names them (nft 1.0.6 does not).
  std::vector<std::string> devices = {};

  [[nodiscard]] bool is_base() const { return !hook.empty(); }
};

using ChainKey = std::tuple<std::string, std::string, std::string>;

struct Ruleset {
  std::map<ChainKey, Chain> chains;
  NamedSets sets; // sets and maps: their "elem" arrays
  std::vector<std::string> problems; // objects that could not be read, described
};

// Reads the document; objects of unexpected shape are skipped and described in
// `problems` (at most a few). Never throws.
Ruleset read_ruleset(const nlohmann::json &doc);

} // namespace fouctl::doctor::nft
