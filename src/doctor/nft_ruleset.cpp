#include "nft_ruleset.hpp"

#include <set>

namespace fouctl::doctor::nft {

using json = nlohmann::json;

namespace {

constexpr std::size_t k_max_problems = 4;

void problem(Ruleset &rs, std::string what) {
  if (rs.problems.size() < k_max_problems)
    rs.problems.push_back(std::move(what));
}

std::string text_of(const json &j, const char *key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool dormant(const json &table) {
  auto it = table.find("flags");
  if (it == table.end())
    return false;
  if (it->is_string())
    return *it == "dormant";
  if (it->is_array())
    for (const json &f : *it)
      if (f == "dormant")
        return true;
  return false;
}

void add_chain(Ruleset &rs, const json &c) {
  Chain chain;
  chain.family = text_of(c, "family");
  chain.table = text_of(c, "table");
  chain.name = text_of(c, "name");
  if (chain.family.empty() || chain.table.empty() || chain.name.empty()) {
    problem(rs, "a chain without family, table or name");
    return;
  }
  chain.type = text_of(c, "type");
  chain.hook = text_of(c, "hook");
  if (!chain.hook.empty()) {
    auto prio = c.find("prio");
    if (prio == c.end() || !prio->is_number_integer()) {
      problem(rs, "base chain '" + chain.name + "' without a numeric priority");
      return;
    }
    chain.prio = prio->get<long long>();
    if (auto dev = c.find("dev"); dev != c.end()) {
      if (dev->is_string())
        chain.devices.push_back(dev->get<std::string>());
      else if (dev->is_array())
        for (const json &d : *dev)
          if (d.is_string())
            chain.devices.push_back(d.get<std::string>());
    }
    std::string policy = text_of(c, "policy");
    if (!policy.empty())
      chain.policy = policy;
  }
  rs.chains[{chain.family, chain.table, chain.name}] = std::move(chain);
}

void add_rule(Ruleset &rs, const json &r) {
  auto it = rs.chains.find({text_of(r, "family"), text_of(r, "table"), text_of(r, "chain")});
  if (it == rs.chains.end()) {
    problem(rs, "a rule of an unknown chain '" + text_of(r, "chain") + "'");
    return;
  }
  if (!r.contains("expr") || !r["expr"].is_array()) {
    problem(rs, "a rule of chain '" + text_of(r, "chain") + "' without expressions");
    return;
  }
  it->second.rules.push_back(&r);
}

} // namespace

Ruleset read_ruleset(const json &doc) {
  Ruleset rs;
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    problem(rs, "the document has no \"nftables\" array");
    return rs;
  }
  std::set<std::pair<std::string, std::string>> asleep;
  // Chains are listed before their rules, but read them in a first pass anyway.
  for (const json &o : doc["nftables"]) {
    if (!o.is_object() || o.size() != 1)
      continue;
    const std::string &kind = o.begin().key();
    const json &body = o.begin().value();
    if (!body.is_object())
      continue;
    if (kind == "table" && dormant(body))
      asleep.insert({text_of(body, "family"), text_of(body, "name")});
    else if (kind == "chain")
      add_chain(rs, body);
    else if ((kind == "set" || kind == "map") && body.contains("elem"))
      rs.sets[{text_of(body, "family"), text_of(body, "table"), text_of(body, "name")}] =
          body["elem"];
  }
  for (const json &o : doc["nftables"])
    if (o.is_object() && o.contains("rule") && o["rule"].is_object())
      add_rule(rs, o["rule"]);
  // A dormant table's chains see no packets.
  for (auto it = rs.chains.begin(); it != rs.chains.end();)
    it = asleep.count({it->second.family, it->second.table}) ? rs.chains.erase(it) : ++it;
  // iptables-nft's tables: its fixed base chain names in the ip/ip6 families.
  std::set<std::pair<std::string, std::string>> xtables;
  for (const auto &[key, c] : rs.chains)
    if ((c.family == "ip" || c.family == "ip6") && c.is_base() &&
        (c.name == "INPUT" || c.name == "PREROUTING" || c.name == "FORWARD" ||
         c.name == "OUTPUT" || c.name == "POSTROUTING"))
      xtables.insert({c.family, c.table});
  for (auto &[key, c] : rs.chains)
    c.xtables = xtables.count({c.family, c.table}) > 0;
  return rs;
}

} // namespace fouctl::doctor::nft
