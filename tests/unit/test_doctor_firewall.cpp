#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "fouctl/doctor/firewall.hpp"

using namespace fouctl::doctor;
using fouctl::util::parse_addr;
using nlohmann::json;

namespace {

// A fixture of tests/unit/nft: real `nft -j list ruleset` output of nft 1.0.6.
json fixture(const std::string &name) {
  std::ifstream in(std::string(FOUCTL_UNIT_NFT_DIR) + "/" + name + ".json");
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name << " (tests/unit/nft/generate)");
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

UdpFlow flow(const char *src, std::uint16_t dport, std::string iif = "eth0",
             std::uint16_t sport = 0, const char *dst = nullptr) {
  UdpFlow f;
  f.src = *parse_addr(src);
  if (dst != nullptr)
    f.dst = *parse_addr(dst);
  f.sport = sport;
  f.dport = dport;
  f.iifname = std::move(iif);
  return f;
}

FirewallVerdict check(const char *name, const UdpFlow &f) {
  FirewallVerdict v = input_verdict(fixture(name), f);
  INFO(to_string(v.outcome) << ": " << v.evidence << " | fix: " << v.fix);
  return v;
}

constexpr const char *k_peer = "192.0.2.1";
constexpr const char *k_peer6 = "2001:db8::1";

} // namespace

TEST_SUITE("doctor::firewall") {
  TEST_CASE("an empty ruleset accepts, and says there is no chain") {
    auto v = check("empty", flow(k_peer, 5555));
    CHECK(v.outcome == FirewallOutcome::accepted);
    CHECK(v.evidence == "no netfilter filter chain on the input path of IPv4");
    CHECK(v.fix.empty());
    CHECK(input_verdict(json::object({{"nftables", json::array()}}), flow(k_peer6, 1)).outcome ==
          FirewallOutcome::accepted);
  }
}

TEST_SUITE("doctor::firewall") {
  TEST_CASE("a drop on the port names the rule and how to delete it") {
    auto v = check("inet", flow(k_peer, 5001));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence == "table inet filter, chain input (hook input, priority 0): rule 'udp dport "
                        "5001 counter drop' (rule 1, handle 5)");
    CHECK(v.fix == "nft delete rule inet filter input handle 5");
    CHECK(check("inet", flow(k_peer, 5555)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("an accept before a drop ends the chain") {
    auto v = check("inet", flow(k_peer, 5002));
    CHECK(v.outcome == FirewallOutcome::accepted);
    CHECK(v.evidence == "accepted by every base chain on the input path: inet filter input (rule 2 "
                        "of chain input)");
  }

  TEST_CASE("a source address other than the peer's does not apply") {
    CHECK(check("inet", flow(k_peer, 5003)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow("203.0.113.9", 5003)).outcome == FirewallOutcome::dropped);
    // ip saddr never matches an IPv6 datagram in an inet table
    CHECK(check("inet", flow(k_peer6, 5003)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("set membership: anonymous and named sets, and a concatenation") {
    auto v = check("inet", flow(k_peer, 5005));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence.find("'udp dport { 5004, 5005 } drop' (rule 5, handle 10)") !=
          std::string::npos);
    // a set of ports: insert an accept rather than delete a rule for others
    CHECK(v.fix == "nft insert rule inet filter input ip saddr 192.0.2.1 udp dport 5005 accept");
    CHECK(check("inet", flow("198.51.100.9", 5006)).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5006)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow("2001:db8::7", 5006)).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow("2001:db8::8", 5006)).outcome == FirewallOutcome::accepted);
    auto pair = check("maps", flow(k_peer, 8003));
    CHECK(pair.outcome == FirewallOutcome::dropped);
    CHECK(pair.evidence.find("'ip saddr . udp dport @pairs drop'") != std::string::npos);
    CHECK(check("maps", flow("192.0.2.2", 8003)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("port ranges and negation") {
    CHECK(check("inet", flow(k_peer, 5150)).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5200)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow(k_peer, 5018)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow(k_peer, 5019)).outcome == FirewallOutcome::dropped);
    // th dport with meta l4proto tcp: not a UDP rule
    CHECK(check("inet", flow(k_peer, 5020)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("jump into a regular chain that drops, and its return") {
    auto v = check("inet", flow("203.0.113.5", 5007));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence == "table inet filter, chain guard (reached from chain input, hook input, "
                        "priority 0): rule 'drop' (rule 2, handle 30)");
    CHECK(v.fix == "nft insert rule inet filter guard ip saddr 203.0.113.5 udp dport 5007 accept");
    CHECK(check("inet", flow(k_peer, 5007)).outcome == FirewallOutcome::accepted);
    // goto: the regular chain accepts the peer; other sources come back to the policy
    CHECK(check("maps", flow(k_peer, 8004)).outcome == FirewallOutcome::accepted);
    CHECK(check("maps", flow("192.0.2.2", 8004)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("reject, and reject with icmp only for IPv4") {
    auto v = check("inet", flow(k_peer, 5008));
    CHECK(v.outcome == FirewallOutcome::rejected);
    CHECK(v.evidence.find("'udp dport 5008 reject with icmpx port-unreachable'") !=
          std::string::npos);
    CHECK(check("inet", flow(k_peer, 5009)).outcome == FirewallOutcome::rejected);
    CHECK(check("inet", flow(k_peer6, 5009)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("the underlay device: wildcard, other device, unknown") {
    CHECK(check("inet", flow(k_peer, 5010, "eth0")).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5010, "wg0")).outcome == FirewallOutcome::accepted);
    auto v = check("inet", flow(k_peer, 5010, ""));
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence.find("may drop: ") == 0);
    CHECK(v.evidence.find("the underlay device is unknown") != std::string::npos);
  }

  TEST_CASE("source port and local address: unknown makes a drop uncertain") {
    CHECK(check("inet", flow(k_peer, 5014)).outcome == FirewallOutcome::unknown);
    CHECK(check("inet", flow(k_peer, 5014, "eth0", 4000)).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5014, "eth0", 4001)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow(k_peer, 5017)).outcome == FirewallOutcome::unknown);
    CHECK(check("inet", flow(k_peer, 5017, "eth0", 0, "192.0.2.200")).outcome ==
          FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5017, "eth0", 0, "192.0.2.201")).outcome ==
          FirewallOutcome::accepted);
  }

  TEST_CASE("an expression fouctl cannot evaluate makes a drop `unknown`") {
    auto v = check("inet", flow(k_peer, 5011));
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence == "may drop: table inet filter, chain input (hook input, priority 0): rule "
                        "'udp dport 5011 fib daddr type local drop' (rule 13, handle 18): fouctl "
                        "cannot tell whether it applies: 'fib' expression");
  }

  TEST_CASE("ct state: a drop for new datagrams is a finding, and says so") {
    auto v = check("inet", flow(k_peer, 5012));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence.find("'udp dport 5012 ct state new drop'") != std::string::npos);
    CHECK(v.evidence.find("conntrack sees as new") != std::string::npos);
    CHECK(v.evidence.find("as established it is accepted") != std::string::npos);
    auto e = check("inet", flow(k_peer, 5013));
    CHECK(e.outcome == FirewallOutcome::dropped);
    CHECK(e.evidence.find("'udp dport 5013 drop'") != std::string::npos);
    // ct state vmap: established is accepted before the port's drop in a named map
    auto m = check("maps", flow(k_peer, 8001));
    CHECK(m.outcome == FirewallOutcome::dropped);
    CHECK(m.evidence.find("'udp dport vmap @ports'") != std::string::npos);
    CHECK(check("maps", flow(k_peer, 8002)).outcome == FirewallOutcome::accepted);
    CHECK(check("inet", flow(k_peer, 5015)).outcome == FirewallOutcome::dropped);
    CHECK(check("inet", flow(k_peer, 5016)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("policy drop with and without an accept") {
    CHECK(check("policy", flow(k_peer, 6001)).outcome == FirewallOutcome::accepted);
    CHECK(check("policy", flow(k_peer, 6002, "lo")).outcome == FirewallOutcome::accepted);
    auto v = check("policy", flow(k_peer, 6002));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence.find("table inet fw, chain input (hook input, priority 0): policy drop, no "
                          "rule accepts UDP port 6002 from 192.0.2.1") == 0);
    CHECK(v.fix == "nft insert rule inet fw input ip saddr 192.0.2.1 udp dport 6002 accept");
    auto six = check("policy", flow(k_peer6, 6002));
    CHECK(six.fix == "nft insert rule inet fw input ip6 saddr 2001:db8::1 udp dport 6002 accept");
  }

  TEST_CASE("family selection: ip, ip6 and a chain before conntrack") {
    auto v4 = check("families", flow(k_peer, 7001));
    CHECK(v4.outcome == FirewallOutcome::dropped);
    CHECK(v4.evidence == "table ip t4, chain input (hook input, priority 0): rule 'meta l4proto "
                         "udp drop' (rule 1, handle 2)");
    CHECK(v4.fix == "nft insert rule ip t4 input ip saddr 192.0.2.1 udp dport 7001 accept");
    CHECK(check("families", flow(k_peer6, 7001)).outcome == FirewallOutcome::rejected);
    // priority raw (-300) runs before conntrack: ct state reads invalid there
    auto raw = check("families", flow(k_peer6, 7002));
    CHECK(raw.outcome == FirewallOutcome::dropped);
    CHECK(raw.evidence.find("chain pre (hook prerouting, priority -300)") != std::string::npos);
    auto ok = check("families", flow(k_peer6, 7003));
    CHECK(ok.outcome == FirewallOutcome::accepted);
    CHECK(ok.evidence == "accepted by every base chain on the input path: ip6 t6 pre (policy "
                         "accept); ip6 t6 input (policy accept)");
  }

  TEST_CASE("an ingress chain whose device nft's JSON does not name may drop") {
    auto v = check("maps", flow(k_peer, 8009));
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence.find("table netdev edge, chain in0 (hook ingress, priority -500)") !=
          std::string::npos);
  }

  TEST_CASE("iptables-nft: DROP, REJECT, -s, -i, a user chain; fixes in iptables form") {
    auto v = check("iptables", flow(k_peer, 9001));
    CHECK(v.outcome == FirewallOutcome::dropped);
    CHECK(v.evidence == "table ip filter, chain INPUT (hook input, priority 0): rule 'udp dport "
                        "9001 counter drop' (rule 1, handle 2)");
    CHECK(v.fix == "iptables -D INPUT 1");
    auto r6 = check("iptables", flow(k_peer6, 9001));
    CHECK(r6.outcome == FirewallOutcome::rejected);
    CHECK(r6.fix == "ip6tables -D INPUT 1");
    CHECK(check("iptables", flow(k_peer, 9002)).outcome == FirewallOutcome::dropped);
    CHECK(check("iptables", flow(k_peer, 9003)).outcome == FirewallOutcome::accepted);
    CHECK(check("iptables", flow(k_peer, 9004, "eth0")).outcome == FirewallOutcome::rejected);
    CHECK(check("iptables", flow(k_peer, 9004, "eth1")).outcome == FirewallOutcome::accepted);
    // -m comment is an xt match that always matches
    CHECK(check("iptables", flow(k_peer, 9006)).outcome == FirewallOutcome::accepted);
    auto g = check("iptables", flow(k_peer, 9007));
    CHECK(g.outcome == FirewallOutcome::dropped);
    CHECK(g.fix == "iptables -D GUARD 1");
    // -j LOG does not end the rule walk
    CHECK(check("iptables", flow(k_peer, 9008)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("iptables-nft: an xt match is not understood") {
    auto v = check("iptables", flow(k_peer, 9005));
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence.find("iptables match 'conntrack'") != std::string::npos);
    // an opaque accept before a policy drop: cannot tell
    auto p = check("iptables_policy", flow(k_peer, 9101));
    CHECK(p.outcome == FirewallOutcome::unknown);
    CHECK(p.evidence.find("policy drop, no rule accepts UDP port 9101") != std::string::npos);
    CHECK(p.evidence.find("unless table ip filter, chain INPUT (hook input, priority 0): rule 'xt "
                          "match \"conntrack\" counter accept'") != std::string::npos);
    CHECK(p.fix == "iptables -I INPUT -s 192.0.2.1 -p udp --dport 9101 -j ACCEPT");
    CHECK(check("iptables_policy", flow(k_peer, 9100)).outcome == FirewallOutcome::accepted);
  }

  TEST_CASE("malformed input never throws") {
    UdpFlow f = flow(k_peer, 5555);
    CHECK(input_verdict(json(), f).outcome == FirewallOutcome::unknown);
    CHECK(input_verdict(json::array(), f).outcome == FirewallOutcome::unknown);
    CHECK(input_verdict(json::parse(R"({"nftables": 5})"), f).outcome == FirewallOutcome::unknown);
    json doc = fixture("inet");
    // a rule whose expressions are of the wrong type, and a chain without a name
    doc["nftables"].push_back(json::parse(
        R"({"rule": {"family": "inet", "table": "filter", "chain": "input", "expr": 7}})"));
    doc["nftables"].push_back(json::parse(R"({"chain": {"family": "inet", "table": "x"}})"));
    auto v = input_verdict(doc, f);
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence.find("could not be read whole") != std::string::npos);
    // every key of every rule object replaced by a wrong type: still a verdict
    json broken = fixture("inet");
    for (json &o : broken["nftables"])
      if (o.contains("rule"))
        for (json &e : o["rule"]["expr"])
          if (e.contains("match"))
            e["match"]["right"] = json::object({{"range", 3}});
    CHECK_NOTHROW(input_verdict(broken, f));
    UdpFlow none;
    none.dport = 5555;
    CHECK(input_verdict(fixture("inet"), none).outcome == FirewallOutcome::unknown);
  }

  TEST_CASE("every expression of wrong shape is handled without an exception") {
    // Each statement body (and each key of it) replaced by each JSON type in turn: the
    // walk must answer from its own checks, not from the catch-all.
    const json bad[] = {json(), json(5), json("x"), json::array(), json::object(),
                        json::object({{"set", 1}}), json::object({{"range", json::array({1})}})};
    for (const char *name : {"inet", "iptables", "maps"}) {
      const json good = fixture(name);
      std::size_t runs = 0;
      for (std::size_t i = 0; i < good["nftables"].size(); ++i) {
        if (!good["nftables"][i].contains("rule"))
          continue;
        const json &exprs = good["nftables"][i]["rule"]["expr"];
        for (std::size_t j = 0; j < exprs.size(); ++j) {
          std::vector<std::string> keys = {""};
          const json &body = exprs[j].begin().value();
          if (body.is_object())
            for (const auto &kv : body.items())
              keys.push_back(kv.key());
          for (const std::string &key : keys)
            for (const json &b : bad) {
              json doc = good;
              json &target = doc["nftables"][i]["rule"]["expr"][j].begin().value();
              (key.empty() ? target : target[key]) = b;
              for (std::uint16_t port : {5001, 8001, 9001}) {
                FirewallVerdict v = input_verdict(doc, flow(k_peer, port));
                ++runs;
                CHECK_MESSAGE(v.evidence.rfind("the ruleset could not be evaluated", 0) != 0,
                              name << " rule " << i << " expr " << j << " key '" << key
                                   << "' = " << b.dump() << ": " << v.evidence);
              }
            }
        }
      }
      CHECK(runs > 100);
    }
  }

  TEST_CASE("a flow without an address family is unknown") {
    UdpFlow none;
    none.dport = 5555;
    CHECK(input_verdict(fixture("inet"), none).outcome == FirewallOutcome::unknown);
  }
}

TEST_SUITE("doctor::firewall") {
  TEST_CASE("a verdict fouctl cannot follow, and a jump to a missing chain") {
    json doc = fixture("inet");
    for (json &o : doc["nftables"])
      if (o.contains("rule") && o["rule"]["handle"] == 5) // udp dport 5001 counter drop
        o["rule"]["expr"][2] = json::parse(R"({"queue": {"num": 3}})");
    auto v = input_verdict(doc, flow(k_peer, 5001));
    CHECK(v.outcome == FirewallOutcome::unknown);
    CHECK(v.evidence == "may drop: table inet filter, chain input (hook input, priority 0): rule "
                        "'udp dport 5001 counter queue' (rule 1, handle 5): fouctl cannot follow "
                        "it: 'queue' (the datagram leaves netfilter's view)");
    for (json &o : doc["nftables"])
      if (o.contains("rule") && o["rule"]["handle"] == 5)
        o["rule"]["expr"][2] = json::parse(R"({"jump": {"target": "nowhere"}})");
    auto j = input_verdict(doc, flow(k_peer, 5001));
    CHECK(j.outcome == FirewallOutcome::unknown);
    CHECK(j.evidence.find("chain 'nowhere' is not in the ruleset") != std::string::npos);
  }
}
