// The config file's top level: its version, then the tunnels (file_tunnel.cpp) and the
// rules between them (file_between.cpp); and the one-line form of a diagnostic.
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
  // Each tunnel's own errors first, then the rules between tunnels, which need them all;
  // reported tunnel by tunnel, each tunnel's clashes after its own errors.
  auto first = r.found();
  std::vector<TunnelDraft> drafts;
  std::vector<std::size_t> own_end; // per draft: found() after its own errors
  drafts.reserve(v.size());
  own_end.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto t = detail::read_tunnel(r, v[i], i, detail::pointer_to(pointer, i));
    if (!t)
      continue;
    detail::verify_tunnel(*t, r);
    own_end.push_back(r.found());
    drafts.push_back(std::move(*t));
  }
  detail::Clashes clashes(drafts);
  auto own = r.take_from(first);
  std::size_t next = 0; // own[next] was found() == first + next
  for (std::size_t d = 0; d < drafts.size(); ++d) {
    for (; next < own.size() && first + next < own_end[d]; ++next)
      r.error(std::move(own[next].location), std::move(own[next].message));
    clashes.report(d, r);
  }
  for (; next < own.size(); ++next)
    r.error(std::move(own[next].location), std::move(own[next].message));
  if (r.found() == 0) // else no config comes back: no need for a copy of every tunnel
    for (auto &t : drafts)
      out.push_back(std::move(t.spec));
}

void read_version(Reader &r, const std::string &pointer, const Json &v) {
  if (!v.is_number_integer())
    r.error(pointer, "expected an integer, got " + detail::describe(v));
  else if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1)
    r.error(pointer, "config version " + v.dump() + " does not exist; this fouctl reads " +
                         std::to_string(k_config_version));
}

// The document: its syntax, its top-level keys and through them everything else.
void read_document(Reader &r, std::string_view text, Config &config) {
  Json doc;
  if (!r.parse(text, doc))
    return;
  if (!doc.is_object()) {
    r.error("/", "expected an object such as {\"version\": 1, \"tunnels\": []}, got " +
                     detail::describe(doc));
    return;
  }
  // The version says how to read the rest, so a newer one stops here rather than produce
  // an error for every key this fouctl does not know yet.
  if (auto v = doc.find("version");
      v != doc.end() && v->is_number_unsigned() && v->get<std::uint64_t>() > k_config_version) {
    r.error("/version", "config version " + v->dump() + " is newer than this fouctl understands (" +
                            std::to_string(k_config_version) + ")");
    return;
  }
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
}

} // namespace

ParseOutcome parse_config(std::string_view text) {
  ParseOutcome outcome;
  Config config;
  Reader r(outcome.errors);
  read_document(r, text, config);
  outcome.error_count = r.finish();
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
