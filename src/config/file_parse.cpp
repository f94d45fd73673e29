// The config file's top level: its version, then the tunnels (file_tunnel.cpp) and the
// rules between them (file_verify.cpp); and the one-line form of a diagnostic.
#include <algorithm>

#include "file_internal.hpp"

namespace fouctl::config {

using detail::Json;
using detail::Reader;
using detail::TunnelDraft;

namespace {

constexpr std::string_view k_top_keys[] = {"version", "tunnels"};

void read_tunnels(Reader &r, const std::string &pointer, const Json &v,
                  std::vector<TunnelSpec> &out) {
  if (!v.is_array()) {
    r.error(pointer, "expected an array of tunnels, got " + detail::describe(v));
    return;
  }
  std::vector<TunnelDraft> drafts;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto t = detail::read_tunnel(r, v[i], i, detail::pointer_to(pointer, i));
    if (!t)
      continue;
    detail::verify_tunnel(*t, r);
    detail::verify_against(drafts, *t, r);
    out.push_back(t->spec);
    drafts.push_back(std::move(*t));
  }
}

void read_version(Reader &r, const std::string &pointer, const Json &v) {
  if (!v.is_number_integer())
    r.error(pointer, "expected an integer, got " + detail::describe(v));
  else if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1)
    r.error(pointer, "config version " + v.dump() + " does not exist; this fouctl reads " +
                         std::to_string(k_config_version));
}

} // namespace

ParseOutcome parse_config(std::string_view text) {
  ParseOutcome outcome;
  Reader r(outcome.errors);
  Json doc;
  if (!r.parse(text, doc))
    return outcome;
  if (!doc.is_object()) {
    r.error("/", "expected an object such as {\"version\": 1, \"tunnels\": []}, got " +
                     detail::describe(doc));
    return outcome;
  }
  // The version says how to read the rest, so a newer one stops here rather than produce
  // an error for every key this fouctl does not know yet.
  if (auto v = doc.find("version");
      v != doc.end() && v->is_number_unsigned() && v->get<std::uint64_t>() > k_config_version) {
    r.error("/version", "config version " + v->dump() + " is newer than this fouctl understands (" +
                            std::to_string(k_config_version) + ")");
    return outcome;
  }
  Config config;
  bool has_version = false;
  bool has_tunnels = false;
  std::vector<std::string_view> meant; // by unknown keys: not also reported missing
  for (const auto &item : doc.items()) {
    const auto &key = item.key();
    auto pointer = detail::pointer_to("/", key);
    r.visit_key(pointer, key);
    if (key == "version") {
      has_version = true;
      read_version(r, pointer, item.value());
    } else if (key == "tunnels") {
      has_tunnels = true;
      read_tunnels(r, pointer, item.value(), config.tunnels);
    } else if (detail::is_tunnel_key(key)) {
      r.error(pointer, "'" + key + "' is a key of a tunnel; tunnels go in \"tunnels\": [{...}]");
    } else {
      meant.push_back(detail::unknown_key(r, pointer, key, k_top_keys, "the top level"));
    }
  }
  auto was_meant = [&](std::string_view key) {
    return std::find(meant.begin(), meant.end(), key) != meant.end();
  };
  if (!has_version && !was_meant("version"))
    r.error("/", "missing required key 'version'; this fouctl reads version " +
                     std::to_string(k_config_version));
  if (!has_tunnels && !was_meant("tunnels"))
    r.error("/", "missing required key 'tunnels', an array of tunnels ([] for none)");
  r.report_remaining();
  if (outcome.errors.empty())
    outcome.config = std::move(config);
  return outcome;
}

std::string format(const Diagnostic &d, std::string_view source) {
  std::string line = source.empty() ? "" : std::string(source) + ": ";
  line += d.location + ": " + d.message;
  // One diagnostic, one line: a key may hold any character.
  std::string out;
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += "\\x";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

} // namespace fouctl::config
