// The firewall check of `fouctl doctor`: walks the nftables ruleset the way netfilter
// would for one incoming UDP datagram of the tunnel.
//
// Netfilter facts it relies on: base chains hooked at the same point run in priority
// order; `accept` ends only its base chain (the next one still sees the packet), `drop`
// and `reject` end everything; a regular chain entered with `jump` returns to the rule
// after it, one entered with `goto` returns to the chain that last jumped; falling off a
// base chain applies its policy. Chains before conntrack (ingress, prerouting below
// priority -200) see no conntrack state: `ct state` reads "invalid" there.
#include "fouctl/doctor/firewall.hpp"

#include <algorithm>
#include <optional>

#include "nft_expr.hpp"
#include "nft_ruleset.hpp"

namespace fouctl::doctor {

using json = nlohmann::json;
using nft::Chain;
using nft::CtState;
using nft::Tri;

const char *to_string(FirewallOutcome outcome) {
  switch (outcome) {
  case FirewallOutcome::accepted:
    return "accepted";
  case FirewallOutcome::dropped:
    return "dropped";
  case FirewallOutcome::rejected:
    return "rejected";
  case FirewallOutcome::unknown:
    return "unknown";
  }
  return "unknown";
}

namespace {

constexpr int k_max_depth = 16;           // jump/goto nesting (the kernel allows 16 too)
constexpr std::size_t k_max_steps = 1'000'000; // rules evaluated, over all chains

enum class Verdict { none, accept, drop, reject, jump, go, ret, cont, unknown };

// A rule, as far as fouctl can tell for this datagram.
struct RuleEval {
  Tri applies = Tri::yes;
  Verdict verdict = Verdict::none;
  std::string target = {};  // jump/goto
  std::string unknown = {}; // why applies is `maybe`, or what the unknown verdict is
};

// Where something happens: a rule of a chain, or a base chain's policy (rule == nullptr).
struct Place {
  const Chain *chain = nullptr;
  const Chain *base = nullptr;
  const json *rule = nullptr;
  std::size_t index = 0; // position of the rule in its chain, from 0
};

enum class End { fall, accept, drop, reject, unknown };

struct Stop {
  End end = End::fall;
  Place place = {};
  std::string note = {};
};

Verdict verdict_of(const std::string &name) {
  static const std::pair<const char *, Verdict> names[] = {
      {"accept", Verdict::accept}, {"drop", Verdict::drop},   {"reject", Verdict::reject},
      {"jump", Verdict::jump},     {"goto", Verdict::go},     {"return", Verdict::ret},
      {"continue", Verdict::cont}, {"queue", Verdict::unknown}};
  for (const auto &[n, v] : names)
    if (name == n)
      return v;
  return Verdict::none;
}

// Statements that neither match nor end the rule. `limit` and `quota` can end it, but
// they count traffic, not classify it: a rule with them is taken to apply.
bool passive_statement(const std::string &name) {
  static const char *const names[] = {"counter", "log",  "limit", "quota", "notrack",
                                      "mangle",  "set",  "dup",   "meter", "flow",
                                      "ct helper", "ct timeout", "ct expectation", "secmark",
                                      "synproxy"};
  return std::find_if(std::begin(names), std::end(names),
                      [&](const char *n) { return name == n; }) != std::end(names);
}

// iptables targets that do not end the rule.
bool passive_xt_target(const std::string &name) {
  static const char *const names[] = {"LOG",      "NFLOG", "MARK", "CONNMARK", "TCPMSS",
                                      "CLASSIFY", "DSCP",  "TOS",  "TRACE",    "AUDIT",
                                      "CHECKSUM", "SET",   "IDLETIMER", "LED", "CT",
                                      "NOTRACK",  "TEE",   "SECMARK", "CONNSECMARK"};
  return std::find_if(std::begin(names), std::end(names),
                      [&](const char *n) { return name == n; }) != std::end(names);
}

std::string text_of(const json &j, const char *key) {
  if (!j.is_object())
    return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// JSON for a message; never throws on strings that are not UTF-8.
std::string brief(const json &j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80);
}

void set_verdict(RuleEval &r, const json &v) {
  if (!v.is_object() || v.size() != 1) {
    r.verdict = Verdict::unknown;
    r.unknown = "verdict " + brief(v);
    return;
  }
  const std::string &name = v.begin().key();
  const json &body = v.begin().value();
  r.verdict = verdict_of(name);
  if (r.verdict == Verdict::none) {
    r.verdict = Verdict::unknown;
    r.unknown = "'" + name + "' verdict";
  } else if (r.verdict == Verdict::jump || r.verdict == Verdict::go) {
    r.target = text_of(body, "target");
  } else if (r.verdict == Verdict::unknown) {
    r.unknown = "'" + name + "' (the datagram leaves netfilter's view)";
  }
}

void may(RuleEval &r, std::string why) {
  if (r.applies == Tri::yes) {
    r.applies = Tri::maybe;
    r.unknown = std::move(why);
  }
}

class Walk {
public:
  Walk(const nft::Ruleset &rs, const UdpFlow &flow, CtState ct)
      : m_rs(rs), m_flow(flow), m_ct(ct) {}

  FirewallVerdict run(const std::vector<const Chain *> &bases);
  [[nodiscard]] bool uses_ct() const { return m_uses_ct; }

private:
  // `why`: set when the chain is explored as a branch that may not be taken, and why.
  Stop walk_chain(const Chain &c, int depth, const std::string *why);
  RuleEval eval_rule(const Chain &c, const json &rule);
  void eval_vmap(const json &vmap, const nft::Packet &p, RuleEval &r);
  [[nodiscard]] std::string where(const Place &pl) const;
  [[nodiscard]] std::string fix_for(const Place &pl) const;
  [[nodiscard]] std::string port_text() const;
  [[nodiscard]] Tri device_applies(const Chain &c) const;
  [[nodiscard]] FirewallVerdict unknown_end(const Stop &s) const;

  const nft::Ruleset &m_rs;
  const UdpFlow &m_flow;
  CtState m_ct;
  const Chain *m_base = nullptr;
  std::optional<Stop> m_may_drop;  // first rule that may drop (anywhere)
  std::optional<Stop> m_may_skip;  // first rule that may accept or return early (this base chain)
  std::vector<std::string> m_accepted_by; // one line per base chain that accepted
  bool m_uses_ct = false;
  std::size_t m_steps = 0;
  std::string m_error;
};

RuleEval Walk::eval_rule(const Chain &c, const json &rule) {
  RuleEval r;
  bool pre_ct = c.family == "netdev" || m_base->hook == "ingress" ||
                (m_base->hook == "prerouting" && m_base->prio < -200);
  nft::Packet p{m_flow, pre_ct ? CtState::untracked : m_ct, m_rs.sets, c.family, c.table};
  for (const json &e : rule["expr"]) {
    if (!e.is_object() || e.size() != 1) {
      may(r, "expression " + brief(e));
      continue;
    }
    const std::string &name = e.begin().key();
    const json &body = e.begin().value();
    if (name == "match") {
      nft::MatchResult m = nft::eval_match(body, p);
      m_uses_ct = m_uses_ct || m.uses_ct;
      if (m.tri == Tri::no)
        return RuleEval{Tri::no};
      if (m.tri == Tri::maybe)
        may(r, m.unknown);
    } else if (name == "xt") {
      std::string type = text_of(body, "type");
      std::string xt = text_of(body, "name");
      if (type == "match" && xt != "comment") {
        may(r, "iptables match '" + xt + "' (an xt extension: its options are not in the JSON)");
      } else if (type == "target" && xt == "REJECT") {
        r.verdict = Verdict::reject;
        return r;
      } else if (type == "target" && !passive_xt_target(xt)) {
        r.verdict = Verdict::unknown;
        r.unknown = "iptables target '" + xt + "'";
        return r;
      }
    } else if (name == "vmap") {
      eval_vmap(body, p, r);
      return r;
    } else if (verdict_of(name) != Verdict::none) {
      // `reject with icmp ...` in an inet or netdev table carries a hidden `meta nfproto
      // ipv4` (icmpv6: ipv6; tcp reset: tcp) that nft's JSON does not show.
      std::string type = name == "reject" ? text_of(body, "type") : std::string();
      bool v4 = m_flow.src.family == 4;
      if ((type == "icmp" && !v4) || (type == "icmpv6" && v4) || type == "tcp reset")
        return RuleEval{Tri::no};
      set_verdict(r, e);
      return r;
    } else if (!passive_statement(name)) {
      // nat, tproxy, fwd, ...: they may change or divert the datagram.
      r.verdict = Verdict::unknown;
      r.unknown = "'" + name + "' statement";
      return r;
    }
  }
  return r;
}

// `KEY vmap { a : drop, ... }`: the element the key matches gives the verdict; no element
// matching ends the rule without one.
void Walk::eval_vmap(const json &vmap, const nft::Packet &p, RuleEval &r) {
  if (!vmap.is_object()) {
    may(r, "verdict map " + brief(vmap));
    r.verdict = Verdict::unknown;
    return;
  }
  json key = vmap.value("key", json());
  json data = vmap.value("data", json());
  const json *elements = nullptr;
  if (data.is_object() && data.contains("set"))
    elements = &vmap["data"]["set"];
  else if (data.is_string() && data.get<std::string>().starts_with("@")) {
    auto it = m_rs.sets.find({p.family, p.table, data.get<std::string>().substr(1)});
    if (it != m_rs.sets.end())
      elements = &it->second;
  }
  if (elements == nullptr || !elements->is_array()) {
    may(r, "verdict map " + brief(data));
    r.verdict = Verdict::unknown;
    return;
  }
  std::optional<RuleEval> maybe_hit;
  for (const json &pair : *elements) {
    if (!pair.is_array() || pair.size() != 2)
      continue;
    nft::MatchResult m = nft::eval_key_in(key, pair[0], p);
    m_uses_ct = m_uses_ct || m.uses_ct;
    if (m.tri == Tri::no)
      continue;
    RuleEval hit = r;
    if (m.tri == Tri::maybe)
      may(hit, m.unknown);
    set_verdict(hit, pair[1]);
    if (hit.applies == Tri::yes && !maybe_hit)
      return void(r = hit);
    if (!maybe_hit)
      maybe_hit = hit;
  }
  r = maybe_hit ? *maybe_hit : RuleEval{Tri::no};
}

// A regular chain entered from a rule that may not apply (`branch`) is explored to find
// what it could do: its first verdict is noted as "may", then the branch ends.
Stop Walk::walk_chain(const Chain &c, int depth, const std::string *why) {
  bool branch = why != nullptr;
  if (depth > k_max_depth) {
    m_error = "jumps nest deeper than " + std::to_string(k_max_depth) + " at chain '" +
              c.name + "'";
    return Stop{End::unknown};
  }
  for (std::size_t i = 0; i < c.rules.size(); ++i) {
    if (++m_steps > k_max_steps) {
      m_error = "the ruleset is too large to evaluate";
      return Stop{End::unknown};
    }
    RuleEval r = eval_rule(c, *c.rules[i]);
    if (r.applies == Tri::no || r.verdict == Verdict::none || r.verdict == Verdict::cont)
      continue;
    Stop here{End::fall, Place{&c, m_base, c.rules[i], i},
              r.unknown.empty() && branch ? *why : r.unknown};
    const Chain *target = nullptr;
    if (r.verdict == Verdict::jump || r.verdict == Verdict::go) {
      auto it = m_rs.chains.find({c.family, c.table, r.target});
      if (it == m_rs.chains.end()) {
        r.verdict = Verdict::unknown;
        here.note = "chain '" + r.target + "' is not in the ruleset";
      } else {
        target = &it->second;
      }
    }
    bool sure = r.applies == Tri::yes && !branch;
    if (!sure) {
      switch (r.verdict) {
      case Verdict::drop:
      case Verdict::reject:
      case Verdict::unknown:
        if (!m_may_drop)
          m_may_drop = here;
        break;
      case Verdict::accept:
      case Verdict::ret:
        if (!m_may_skip)
          m_may_skip = here;
        break;
      case Verdict::jump:
      case Verdict::go: {
        Stop s = walk_chain(*target, depth + 1, &here.note);
        if (s.end == End::unknown)
          return s;
        break;
      }
      default:
        break;
      }
      // Inside a branch, a rule that surely applies ends the branch at its verdict.
      if (branch && r.applies == Tri::yes && r.verdict != Verdict::jump)
        return Stop{};
      continue;
    }
    switch (r.verdict) {
    case Verdict::accept:
      return Stop{End::accept, here.place};
    case Verdict::drop:
      return Stop{End::drop, here.place};
    case Verdict::reject:
      return Stop{End::reject, here.place};
    case Verdict::unknown:
      here.end = End::unknown;
      return here;
    case Verdict::jump: {
      Stop s = walk_chain(*target, depth + 1, nullptr);
      if (s.end != End::fall)
        return s;
      break;
    }
    case Verdict::go:
      return walk_chain(*target, depth + 1, nullptr);
    case Verdict::ret:
      return Stop{};
    default:
      break;
    }
  }
  return Stop{};
}

std::string Walk::port_text() const {
  std::string s = "UDP port " + std::to_string(m_flow.dport);
  if (m_flow.src.is_set())
    s += " from " + m_flow.src.to_string();
  return s;
}

std::string Walk::where(const Place &pl) const {
  const Chain &c = *pl.chain;
  const Chain &b = *pl.base;
  std::string s = "table " + c.family + " " + c.table + ", chain " + c.name;
  std::string hook = "hook " + b.hook + ", priority " + std::to_string(b.prio);
  s += &c == &b ? " (" + hook + ")" : " (reached from chain " + b.name + ", " + hook + ")";
  if (pl.rule == nullptr)
    return s + ": policy " + c.policy + ", no rule accepts " + port_text();
  std::string handle;
  if (pl.rule->contains("handle") && (*pl.rule)["handle"].is_number_integer())
    handle = ", handle " + std::to_string((*pl.rule)["handle"].get<long long>());
  return s + ": rule '" + nft::render_rule((*pl.rule)["expr"]) + "' (rule " +
         std::to_string(pl.index + 1) + handle + ")";
}

// The rule is about this port alone: `udp dport 5555` (or th dport) is one of its matches.
bool names_port(const json &rule, std::uint16_t port) {
  for (const json &e : rule["expr"]) {
    if (!e.is_object() || !e.contains("match"))
      continue;
    const json &m = e["match"];
    if (!m.is_object())
      continue;
    json left = m.value("left", json());
    if (text_of(m, "op") == "==" && left.is_object() && left.contains("payload") &&
        text_of(left["payload"], "field") == "dport" &&
        m.value("right", json()) == json(port))
      return true;
  }
  return false;
}

std::string Walk::fix_for(const Place &pl) const {
  const Chain &c = *pl.chain;
  bool v4 = m_flow.src.family == 4;
  std::string port = std::to_string(m_flow.dport);
  bool remove = pl.rule != nullptr && names_port(*pl.rule, m_flow.dport);
  if (c.xtables) {
    std::string cmd = c.family == "ip6" ? "ip6tables" : "iptables";
    if (c.table != "filter")
      cmd += " -t " + c.table;
    if (remove)
      return cmd + " -D " + c.name + " " + std::to_string(pl.index + 1);
    cmd += " -I " + c.name;
    if (m_flow.src.is_set())
      cmd += " -s " + m_flow.src.to_string();
    return cmd + " -p udp --dport " + port + " -j ACCEPT";
  }
  std::string id = c.family + " " + c.table + " " + c.name;
  if (remove && pl.rule->contains("handle") && (*pl.rule)["handle"].is_number_integer())
    return "nft delete rule " + id + " handle " +
           std::to_string((*pl.rule)["handle"].get<long long>());
  std::string match;
  if (m_flow.src.is_set())
    match = std::string(v4 ? "ip" : "ip6") + " saddr " + m_flow.src.to_string() + " ";
  return "nft insert rule " + id + " " + match + "udp dport " + port + " accept";
}

// The chain sees the datagram: always, except an ingress chain bound to other devices.
Tri Walk::device_applies(const Chain &c) const {
  if (c.hook != "ingress")
    return Tri::yes;
  if (c.devices.empty() || m_flow.iifname.empty())
    return Tri::maybe;
  return std::find(c.devices.begin(), c.devices.end(), m_flow.iifname) != c.devices.end()
             ? Tri::yes
             : Tri::no;
}

// A rule fouctl cannot follow surely applies (queue, nat, an unknown target), or the
// walk went past its bounds.
FirewallVerdict Walk::unknown_end(const Stop &s) const {
  FirewallVerdict v;
  v.outcome = FirewallOutcome::unknown;
  if (s.place.chain == nullptr) {
    v.evidence = m_error;
    return v;
  }
  v.evidence = "may drop: " + where(s.place) + ": fouctl cannot follow it: " + s.note;
  v.fix = fix_for(s.place);
  return v;
}

FirewallVerdict Walk::run(const std::vector<const Chain *> &bases) {
  FirewallVerdict v;
  for (const Chain *base : bases) {
    m_base = base;
    m_may_skip.reset();
    Tri applies = device_applies(*base);
    if (applies == Tri::no)
      continue;
    if (applies == Tri::maybe) {
      std::string why = base->devices.empty()
                            ? "which device the ingress chain is on (nft's JSON does not say)"
                            : "the underlay device is unknown";
      Stop s = walk_chain(*base, 0, &why);
      if (s.end == End::unknown)
        return unknown_end(s);
      if (base->policy == "drop" && !m_may_drop)
        m_may_drop = Stop{End::drop, Place{base, base, nullptr, 0}, why};
      continue;
    }
    Stop s = walk_chain(*base, 0, nullptr);
    if (s.end == End::fall) {
      if (base->policy != "drop") {
        m_accepted_by.push_back(base->family + " " + base->table + " " + base->name +
                                " (policy " + base->policy + ")");
        continue;
      }
      s = Stop{End::drop, Place{base, base, nullptr, 0}};
    }
    if (s.end == End::accept) {
      m_accepted_by.push_back(base->family + " " + base->table + " " + base->name + " (rule " +
                              std::to_string(s.place.index + 1) + " of chain " +
                              s.place.chain->name + ")");
      continue;
    }
    if (s.end == End::unknown)
      return unknown_end(s);
    v.outcome = s.end == End::reject ? FirewallOutcome::rejected : FirewallOutcome::dropped;
    v.evidence = where(s.place);
    v.fix = fix_for(s.place);
    if (m_may_skip) {
      v.outcome = FirewallOutcome::unknown;
      v.evidence += "; unless " + where(m_may_skip->place) + " applies first, which fouctl " +
                    "cannot tell: " + m_may_skip->note;
    }
    return v;
  }
  if (m_may_drop) {
    v.outcome = FirewallOutcome::unknown;
    v.evidence = "may drop: " + where(m_may_drop->place) + ": fouctl cannot tell whether " +
                 "it applies: " + m_may_drop->note;
    v.fix = fix_for(m_may_drop->place);
    return v;
  }
  if (bases.empty()) {
    v.evidence = "no netfilter filter chain on the input path of IPv" +
                 std::to_string(m_flow.src.family);
  } else {
    v.evidence = "accepted by every base chain on the input path: ";
    for (std::size_t i = 0; i < m_accepted_by.size(); ++i)
      v.evidence += (i ? "; " : "") + m_accepted_by[i];
  }
  return v;
}

int hook_order(const std::string &hook) {
  return hook == "ingress" ? 0 : hook == "prerouting" ? 1 : 2;
}

// The filter base chains an incoming datagram of this family meets, in the order it
// meets them.
std::vector<const Chain *> input_path(const nft::Ruleset &rs, int family) {
  std::vector<const Chain *> out;
  for (const auto &[key, c] : rs.chains) {
    if (!c.is_base() || c.type != "filter")
      continue;
    bool fam = c.family == "inet" || c.family == "netdev" ||
               c.family == (family == 4 ? "ip" : "ip6");
    bool hook = c.hook == "input" || c.hook == "prerouting" || c.hook == "ingress";
    if (fam && hook)
      out.push_back(&c);
  }
  std::stable_sort(out.begin(), out.end(), [](const Chain *a, const Chain *b) {
    return std::pair(hook_order(a->hook), a->prio) < std::pair(hook_order(b->hook), b->prio);
  });
  return out;
}

int severity(FirewallOutcome o) {
  return o == FirewallOutcome::accepted ? 0 : o == FirewallOutcome::unknown ? 1 : 2;
}

FirewallVerdict evaluate(const json &ruleset, const UdpFlow &flow) {
  FirewallVerdict v;
  if (flow.src.family != 4 && flow.src.family != 6) {
    v.outcome = FirewallOutcome::unknown;
    v.evidence = "the peer's address is not set: no address family to check";
    return v;
  }
  nft::Ruleset rs = nft::read_ruleset(ruleset);
  std::vector<const Chain *> bases = input_path(rs, flow.src.family);
  Walk as_new(rs, flow, CtState::new_conn);
  v = as_new.run(bases);
  if (as_new.uses_ct()) {
    // A datagram from the peer is `new` to conntrack unless this host sent to the peer
    // first (then `established`): both happen, so both are checked.
    Walk as_established(rs, flow, CtState::established);
    FirewallVerdict e = as_established.run(bases);
    if (e.outcome != v.outcome) {
      bool new_worse = severity(v.outcome) >= severity(e.outcome);
      FirewallVerdict &worse = new_worse ? v : e;
      const FirewallVerdict &other = new_worse ? e : v;
      worse.evidence += new_worse ? " (for a datagram conntrack sees as new: the peer's first, "
                                    "unless this host sent to the peer first; as established "
                                    "it is "
                                  : " (for a datagram conntrack sees as established; as new it "
                                    "is ";
      worse.evidence += std::string(to_string(other.outcome)) + ")";
      if (!new_worse)
        v = e;
    }
  }
  if (v.outcome == FirewallOutcome::accepted && !rs.problems.empty()) {
    v.outcome = FirewallOutcome::unknown;
    v.evidence = "the ruleset could not be read whole: " + rs.problems.front();
  }
  return v;
}

} // namespace

FirewallVerdict input_verdict(const json &ruleset, const UdpFlow &flow) {
  try {
    return evaluate(ruleset, flow);
  } catch (const std::exception &e) {
    // nlohmann's type errors on a malformed document, or std::bad_alloc.
    FirewallVerdict v;
    v.outcome = FirewallOutcome::unknown;
    v.evidence = std::string("the ruleset could not be evaluated: ") + e.what();
    return v;
  }
}

} // namespace fouctl::doctor
