// A rule's JSON expressions printed back the way `nft list ruleset` shows them, close
// enough for a person to find the rule: evidence text, not a parser's input.
#include "nft_expr.hpp"

namespace fouctl::doctor::nft {

using json = nlohmann::json;

namespace {

constexpr std::size_t k_max_rule_text = 240;

std::string compact(const json &j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

std::string text_of(const json &j, const char *key) {
  if (!j.is_object())
    return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string value_text(const json &v, bool quote);

std::string left_text(const json &e) {
  if (!e.is_object() || e.size() != 1)
    return compact(e);
  const std::string &name = e.begin().key();
  const json &body = e.begin().value();
  if (name == "payload") {
    std::string proto = text_of(body, "protocol");
    return proto.empty() ? compact(e) : proto + " " + text_of(body, "field");
  }
  if (name == "meta") {
    std::string key = text_of(body, "key");
    bool bare = key == "iifname" || key == "oifname" || key == "iif" || key == "oif" ||
                key == "mark";
    return bare ? key : "meta " + key;
  }
  if (name == "ct")
    return "ct " + text_of(body, "key");
  if (name == "concat" && body.is_array()) {
    std::string out;
    for (const json &part : body)
      out += (out.empty() ? "" : " . ") + left_text(part);
    return out;
  }
  if (name == "fib" && body.is_object()) {
    std::string flags;
    if (body.contains("flags") && body["flags"].is_array())
      for (const json &f : body["flags"])
        flags += (flags.empty() ? "" : " . ") + value_text(f, false);
    return "fib " + flags + " " + text_of(body, "result");
  }
  return name + " " + compact(body);
}

std::string value_text(const json &v, bool quote) {
  if (v.is_string())
    return quote ? "\"" + v.get<std::string>() + "\"" : v.get<std::string>();
  if (v.is_number() || v.is_boolean())
    return v.dump();
  if (v.is_array()) { // flag lists: established,related
    std::string out;
    for (const json &e : v)
      out += (out.empty() ? "" : ",") + value_text(e, quote);
    return out;
  }
  if (v.is_object() && v.size() == 1) {
    const std::string &name = v.begin().key();
    const json &body = v.begin().value();
    if (name == "set" && body.is_array()) {
      std::string out;
      for (const json &e : body)
        out += (out.empty() ? "" : ", ") + value_text(e, quote);
      return "{ " + out + " }";
    }
    if (name == "range" && body.is_array() && body.size() == 2)
      return value_text(body[0], quote) + "-" + value_text(body[1], quote);
    if (name == "prefix" && body.is_object())
      return value_text(body.value("addr", json()), false) + "/" +
             value_text(body.value("len", json()), false);
    if (name == "concat" && body.is_array()) {
      std::string out;
      for (const json &e : body)
        out += (out.empty() ? "" : " . ") + value_text(e, quote);
      return out;
    }
    if (name == "elem" && body.is_object() && body.contains("val"))
      return value_text(body["val"], quote);
  }
  return compact(v);
}

bool quoted(const json &left) {
  std::string key = left.is_object() && left.contains("meta") ? text_of(left["meta"], "key")
                                                              : std::string();
  return key == "iifname" || key == "oifname";
}

std::string verdict_text(const json &v);

std::string statement_text(const json &s) {
  if (!s.is_object() || s.size() != 1)
    return compact(s);
  const std::string &name = s.begin().key();
  const json &body = s.begin().value();
  if (name == "match" && body.is_object()) {
    std::string op = text_of(body, "op");
    const json left = body.value("left", json());
    std::string out = left_text(left) + " ";
    if (op != "==" && op != "in")
      out += op + " ";
    return out + value_text(body.value("right", json()), quoted(left));
  }
  if (name == "counter" || name == "notrack")
    return name;
  if (name == "log")
    return body.is_object() && body.contains("prefix")
               ? "log prefix " + value_text(body["prefix"], true)
               : "log";
  if (name == "limit" && body.is_object())
    return "limit rate " + value_text(body.value("rate", json()), false) + "/" +
           text_of(body, "per");
  if (name == "reject") {
    std::string type = text_of(body, "type");
    std::string code = text_of(body, "expr");
    if (type.empty())
      return "reject";
    if (type == "tcp reset")
      return "reject with tcp reset";
    return "reject with " + type + (code.empty() ? "" : " " + code);
  }
  if (name == "xt" && body.is_object())
    return "xt " + text_of(body, "type") + " \"" + text_of(body, "name") + "\"";
  if (name == "vmap" && body.is_object()) {
    const json data = body.value("data", json());
    std::string map;
    if (data.is_object() && data.contains("set") && data["set"].is_array()) {
      for (const json &pair : data["set"])
        if (pair.is_array() && pair.size() == 2)
          map += (map.empty() ? "" : ", ") + value_text(pair[0], false) + " : " +
                 verdict_text(pair[1]);
      map = "{ " + map + " }";
    } else {
      map = value_text(data, false);
    }
    return left_text(body.value("key", json())) + " vmap " + map;
  }
  return verdict_text(s);
}

std::string verdict_text(const json &v) {
  if (!v.is_object() || v.size() != 1)
    return compact(v);
  const std::string &name = v.begin().key();
  const json &body = v.begin().value();
  if (name == "accept" || name == "drop" || name == "return" || name == "continue" ||
      name == "queue")
    return name;
  if ((name == "jump" || name == "goto") && body.is_object())
    return name + " " + text_of(body, "target");
  return name + " " + compact(body);
}

} // namespace

std::string render_rule(const json &exprs) {
  if (!exprs.is_array())
    return compact(exprs);
  std::string out;
  for (const json &e : exprs) {
    out += (out.empty() ? "" : " ") + statement_text(e);
    if (out.size() > k_max_rule_text)
      return out.substr(0, k_max_rule_text - 3) + "...";
  }
  return out;
}

} // namespace fouctl::doctor::nft
