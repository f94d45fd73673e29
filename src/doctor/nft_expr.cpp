#include "nft_expr.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace fouctl::doctor::nft {

using json = nlohmann::json;

namespace {

// The value one left-hand expression takes for the datagram.
struct Field {
  enum class Kind {
    number,  // ports, protocol numbers
    address, // ip/ip6 saddr, daddr
    text,    // interface names, ct state, meta nfproto/protocol/pkttype
    absent,  // the datagram has no such field (tcp dport, ip saddr of an IPv6 packet):
             // the kernel's implicit protocol dependency makes the match false whatever
             // the operator
    unknown, // fouctl does not know the value (or the expression): the match may hold
  };
  Kind kind = Kind::unknown;
  std::uint64_t number = 0;
  util::IpAddr address = {};
  std::string text = {};
  std::string why = {};     // for unknown
  bool wildcard = false;    // iifname: "eth*" on the right is a prefix
  bool uses_ct = false;
};

Field number(std::uint64_t n) {
  Field f;
  f.kind = Field::Kind::number;
  f.number = n;
  return f;
}
Field text(std::string s) {
  Field f;
  f.kind = Field::Kind::text;
  f.text = std::move(s);
  return f;
}
Field unknown_field(std::string why) {
  Field f;
  f.kind = Field::Kind::unknown;
  f.why = std::move(why);
  return f;
}
Field address(const util::IpAddr &a, const char *what) {
  Field f;
  if (!a.is_set())
    return unknown_field(std::string(what) + " is unknown");
  f.kind = Field::Kind::address;
  f.address = a;
  return f;
}
Field absent() {
  Field f;
  f.kind = Field::Kind::absent;
  return f;
}

std::string compact(const json &j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 120)
    s = s.substr(0, 117) + "...";
  return s;
}

const std::string &str(const json &j, const char *key) {
  static const std::string empty;
  if (!j.is_object())
    return empty;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get_ref<const std::string &>() : empty;
}

Field payload(const json &body, const Packet &p) {
  const std::string &proto = str(body, "protocol");
  const std::string &field = str(body, "field");
  bool v4 = p.flow.src.family == 4;
  if (proto == "udp" || proto == "th") {
    if (field == "dport")
      return number(p.flow.dport);
    if (field == "sport")
      return p.flow.sport != 0 ? number(p.flow.sport)
                               : unknown_field("the peer's source port is unknown");
    return unknown_field("'" + proto + " " + field + "'");
  }
  if (proto == "ip" || proto == "ip6") {
    if ((proto == "ip") != v4)
      return absent();
    if (field == "saddr")
      return address(p.flow.src, "the peer's address");
    if (field == "daddr")
      return address(p.flow.dst, "the local address");
    if (field == "protocol" || field == "nexthdr")
      return number(17);
    if (field == "version")
      return number(v4 ? 4 : 6);
    return unknown_field("'" + proto + " " + field + "'");
  }
  // Other transport and ICMP headers: a UDP datagram has none of them.
  static const char *const others[] = {"tcp", "icmp", "icmpv6", "sctp", "dccp", "udplite",
                                       "ah",  "esp",  "comp",   "igmp", "gre", "arp"};
  for (const char *o : others)
    if (proto == o)
      return absent();
  if (proto.empty())
    return unknown_field("raw payload " + compact(body));
  return unknown_field("'" + proto + " " + field + "'");
}

Field meta(const json &body, const Packet &p) {
  const std::string &key = str(body, "key");
  bool v4 = p.flow.src.family == 4;
  if (key == "l4proto")
    return number(17);
  if (key == "nfproto")
    return text(v4 ? "ipv4" : "ipv6");
  if (key == "protocol")
    return text(v4 ? "ip" : "ip6");
  if (key == "pkttype")
    return text("host");
  if (key == "iifname" || key == "iif") {
    if (p.flow.iifname.empty())
      return unknown_field("the underlay device is unknown");
    Field f = text(p.flow.iifname);
    f.wildcard = key == "iifname";
    return f;
  }
  // No output device on the input path: the kernel's meta expression breaks the rule.
  if (key == "oifname" || key == "oif")
    return absent();
  return unknown_field("'meta " + key + "'");
}

Field ct(const json &body, const Packet &p) {
  const std::string &key = str(body, "key");
  if (key != "state")
    return unknown_field("'ct " + key + "'");
  Field f = text(p.ct == CtState::new_conn      ? "new"
                 : p.ct == CtState::established ? "established"
                                                : "invalid");
  f.uses_ct = true;
  return f;
}

Field field_of(const json &e, const Packet &p) {
  if (!e.is_object() || e.size() != 1)
    return unknown_field(compact(e));
  const std::string &name = e.begin().key();
  const json &body = e.begin().value();
  if (name == "payload")
    return payload(body, p);
  if (name == "meta")
    return meta(body, p);
  if (name == "ct")
    return ct(body, p);
  return unknown_field("'" + name + "' expression");
}

// The fields of a key: one, or several for a concatenation "ip saddr . udp dport".
std::vector<Field> fields_of(const json &key, const Packet &p) {
  std::vector<Field> out;
  if (key.is_object() && key.contains("concat") && key["concat"].is_array()) {
    for (const json &e : key["concat"])
      out.push_back(field_of(e, p));
  } else {
    out.push_back(field_of(key, p));
  }
  return out;
}

std::uint64_t protocol_number(const std::string &name, bool &known) {
  static const std::pair<const char *, int> names[] = {
      {"icmp", 1},  {"igmp", 2},   {"ipencap", 4},    {"tcp", 6},     {"udp", 17},
      {"dccp", 33}, {"ipv6", 41},  {"gre", 47},       {"esp", 50},    {"ah", 51},
      {"ipv6-icmp", 58}, {"icmpv6", 58}, {"sctp", 132}, {"udplite", 136}};
  for (const auto &[n, v] : names)
    if (name == n) {
      known = true;
      return static_cast<std::uint64_t>(v);
    }
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  known = ec == std::errc() && end == name.data() + name.size();
  return v;
}

struct Tri3 {
  Tri tri = Tri::no;
  std::string why = {};
};
Tri3 yes_if(bool b) { return {b ? Tri::yes : Tri::no, {}}; }
Tri3 maybe(std::string why) { return {Tri::maybe, std::move(why)}; }

int compare_address(const util::IpAddr &a, const util::IpAddr &b) {
  auto r = std::lexicographical_compare_three_way(a.bytes.begin(), a.bytes.begin() + a.size(),
                                                  b.bytes.begin(), b.bytes.begin() + b.size());
  return r < 0 ? -1 : r > 0 ? 1 : 0;
}

Tri3 match_value(const Field &f, const json &r, const Packet &p, int depth);

// Any of a list of elements; `maybe` if none surely matches and one may.
Tri3 match_any(const Field &f, const json &elements, const Packet &p, int depth) {
  Tri3 out;
  if (!elements.is_array())
    return maybe("set elements " + compact(elements));
  for (const json &e : elements) {
    Tri3 t = match_value(f, e, p, depth + 1);
    if (t.tri == Tri::yes)
      return t;
    if (t.tri == Tri::maybe && out.tri == Tri::no)
      out = t;
  }
  return out;
}

const json *named_set(const std::string &name, const Packet &p) {
  auto it = p.sets.find({p.family, p.table, name});
  return it == p.sets.end() ? nullptr : &it->second;
}

Tri3 match_number(const Field &f, const json &r) {
  if (r.is_number_unsigned() || r.is_number_integer())
    return yes_if(r.get<std::int64_t>() >= 0 &&
                  static_cast<std::uint64_t>(r.get<std::int64_t>()) == f.number);
  if (r.is_string()) {
    bool known = false;
    std::uint64_t n = protocol_number(r.get<std::string>(), known);
    if (known)
      return yes_if(n == f.number);
    return maybe("value '" + r.get<std::string>() + "'");
  }
  return maybe("value " + compact(r));
}

Tri3 match_value(const Field &f, const json &r, const Packet &p, int depth) {
  if (depth > 8)
    return maybe("nesting too deep");
  if (r.is_object() && r.size() == 1) {
    const std::string &name = r.begin().key();
    const json &body = r.begin().value();
    if (name == "elem" && body.is_object() && body.contains("val"))
      return match_value(f, body["val"], p, depth + 1);
    if (name == "set")
      return body.is_array() ? match_any(f, body, p, depth) : match_value(f, body, p, depth + 1);
    if (name == "range" && body.is_array() && body.size() == 2) {
      if (f.kind == Field::Kind::number && body[0].is_number() && body[1].is_number())
        return yes_if(body[0].get<double>() <= static_cast<double>(f.number) &&
                      static_cast<double>(f.number) <= body[1].get<double>());
      if (f.kind == Field::Kind::address && body[0].is_string() && body[1].is_string()) {
        auto lo = util::parse_addr(body[0].get<std::string>());
        auto hi = util::parse_addr(body[1].get<std::string>());
        if (lo && hi && lo->family == f.address.family && hi->family == f.address.family)
          return yes_if(compare_address(*lo, f.address) <= 0 &&
                        compare_address(f.address, *hi) <= 0);
      }
      return maybe("range " + compact(body));
    }
    if (name == "prefix" && f.kind == Field::Kind::address && body.is_object()) {
      const json &a = body.value("addr", json());
      const json &len = body.value("len", json());
      if (a.is_string() && len.is_number_integer()) {
        auto prefix = util::parse_prefix(a.get<std::string>() + "/" +
                                             std::to_string(len.get<std::int64_t>()),
                                         false);
        if (prefix)
          return yes_if(prefix->contains(f.address));
      }
      return maybe("prefix " + compact(body));
    }
    return maybe("value " + compact(r));
  }
  if (r.is_array()) // flag lists: ct state { "established", "related" }
    return match_any(f, r, p, depth);
  if (r.is_string() && !r.get_ref<const std::string &>().empty() &&
      r.get_ref<const std::string &>()[0] == '@') {
    const std::string name = r.get<std::string>().substr(1);
    const json *elements = named_set(name, p);
    if (elements == nullptr)
      return maybe("set @" + name + " is not in the ruleset");
    return match_any(f, *elements, p, depth);
  }
  switch (f.kind) {
  case Field::Kind::number:
    return match_number(f, r);
  case Field::Kind::address:
    if (r.is_string()) {
      auto a = util::parse_addr(r.get<std::string>());
      if (a)
        return yes_if(*a == f.address);
    }
    return maybe("address " + compact(r));
  case Field::Kind::text:
    if (r.is_string()) {
      const std::string &s = r.get_ref<const std::string &>();
      if (f.wildcard && !s.empty() && s.back() == '*')
        return yes_if(f.text.compare(0, s.size() - 1, s, 0, s.size() - 1) == 0);
      return yes_if(s == f.text);
    }
    return maybe("value " + compact(r));
  default:
    return maybe(f.why);
  }
}

// A concatenated key against a concatenated element: every part must match.
Tri3 match_fields(const std::vector<Field> &fields, const json &element, const Packet &p) {
  if (fields.size() == 1)
    return match_value(fields[0], element, p, 0);
  const json *e = &element;
  if (e->is_object() && e->contains("elem") && (*e)["elem"].is_object() &&
      (*e)["elem"].contains("val"))
    e = &(*e)["elem"]["val"];
  if (!e->is_object() || !e->contains("concat") || !(*e)["concat"].is_array() ||
      (*e)["concat"].size() != fields.size())
    return maybe("concatenated element " + compact(element));
  Tri3 out{Tri::yes, {}};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    Tri3 t = match_value(fields[i], (*e)["concat"][i], p, 0);
    if (t.tri == Tri::no)
      return t;
    if (t.tri == Tri::maybe)
      out = t;
  }
  return out;
}

// Absent fields decide (no); unknown ones make the match `maybe`.
bool screen(const std::vector<Field> &fields, MatchResult &out) {
  for (const Field &f : fields)
    out.uses_ct = out.uses_ct || f.uses_ct;
  for (const Field &f : fields)
    if (f.kind == Field::Kind::absent) {
      out.tri = Tri::no;
      return false;
    }
  for (const Field &f : fields)
    if (f.kind == Field::Kind::unknown) {
      out.tri = Tri::maybe;
      out.unknown = f.why;
      return false;
    }
  return true;
}

Tri3 match_set_of(const std::vector<Field> &fields, const json &right, const Packet &p) {
  if (fields.size() == 1)
    return match_value(fields[0], right, p, 0);
  // Concatenations: the right side is a named set or an anonymous {"set": [...]}.
  const json *elements = nullptr;
  if (right.is_string() && right.get_ref<const std::string &>().starts_with("@"))
    elements = named_set(right.get<std::string>().substr(1), p);
  else if (right.is_object() && right.contains("set"))
    elements = &right["set"];
  if (elements == nullptr || !elements->is_array())
    return maybe("concatenated set " + compact(right));
  Tri3 out;
  for (const json &e : *elements) {
    Tri3 t = match_fields(fields, e, p);
    if (t.tri == Tri::yes)
      return t;
    if (t.tri == Tri::maybe && out.tri == Tri::no)
      out = t;
  }
  return out;
}

} // namespace

MatchResult eval_match(const json &match, const Packet &p) {
  MatchResult out;
  if (!match.is_object() || !match.contains("left") || !match.contains("right")) {
    out.tri = Tri::maybe;
    out.unknown = "malformed match " + compact(match);
    return out;
  }
  const std::string &op = str(match, "op");
  std::vector<Field> fields = fields_of(match["left"], p);
  if (!screen(fields, out))
    return out;
  const json &right = match["right"];
  Tri3 t;
  if (op == "==" || op == "in" || op == "!=") {
    t = match_set_of(fields, right, p);
    if (op == "!=" && t.tri != Tri::maybe)
      t.tri = t.tri == Tri::yes ? Tri::no : Tri::yes;
  } else if ((op == "<" || op == ">" || op == "<=" || op == ">=") && fields.size() == 1 &&
             fields[0].kind == Field::Kind::number && right.is_number()) {
    double l = static_cast<double>(fields[0].number);
    double r = right.get<double>();
    t = yes_if(op == "<" ? l < r : op == ">" ? l > r : op == "<=" ? l <= r : l >= r);
  } else {
    t = maybe("operator '" + op + "'");
  }
  out.tri = t.tri;
  out.unknown = t.why;
  return out;
}

MatchResult eval_key_in(const json &key, const json &element, const Packet &p) {
  MatchResult out;
  std::vector<Field> fields = fields_of(key, p);
  if (!screen(fields, out))
    return out;
  Tri3 t = match_fields(fields, element, p);
  out.tri = t.tri;
  out.unknown = t.why;
  return out;
}

} // namespace fouctl::doctor::nft
