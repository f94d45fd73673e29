// The config file as JSON: syntax errors with a line and column, keys given twice, JSON
// pointers, and the wording of values and unknown keys in messages.
#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_set>

#include "file_internal.hpp"

namespace fouctl::config::detail {

namespace {

// How much of a user's key or value a message shows: 40 bytes at most, backed up to the
// start of a UTF-8 character rather than cut one in half.
std::size_t shown_length(std::string_view s) {
  constexpr std::size_t k_max = 40;
  std::size_t end = std::min(s.size(), k_max);
  while (end < s.size() && end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80)
    --end;
  return end;
}

// "/" and the key, escaped as RFC 6901 says, and cut short as quote() does.
void append_segment(std::string &pointer, std::string_view key) {
  auto end = shown_length(key);
  pointer += '/';
  for (char c : key.substr(0, end)) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
  if (end < key.size())
    pointer += "...";
}

// The limits a file is held to before nlohmann reads it. Nesting: a config needs 4 levels,
// and each level deeper lengthens the pointer of every error inside it and the stack of
// nlohmann's recursive functions (copy, dump). Keys: ordered_json finds a key by looking at
// each one before it, so an object's keys cost their number squared.
struct Limit {
  std::size_t offset; // of the '[' or '{' one level too deep, or of the key one too many
  std::string message;
};

// One pass over the text that needs to know only strings and brackets; what is not JSON is
// left to the parser, which says where.
std::optional<Limit> over_limits(std::string_view text) {
  constexpr auto k_array = static_cast<std::size_t>(-1);
  std::vector<std::size_t> open; // per open bracket: keys so far, or k_array
  std::size_t last_string = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    switch (text[i]) {
    case '"':
      last_string = i;
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      break;
    case '[':
    case '{':
      if (open.size() == k_max_nesting)
        return Limit{i, "arrays and objects are nested more than " + std::to_string(k_max_nesting) +
                            " deep; a config needs 4"};
      open.push_back(text[i] == '{' ? 0 : k_array);
      break;
    case ']':
    case '}':
      if (!open.empty())
        open.pop_back();
      break;
    case ':':
      if (!open.empty() && open.back() != k_array && ++open.back() > k_max_object_keys)
        return Limit{last_string, "an object has more than " + std::to_string(k_max_object_keys) +
                                      " keys; no fouctl config needs that many"};
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

// parse_error::byte is 1-based and names the last character read: one past the end for
// "unexpected end of input", the last character of an unexpected token. The position
// reported is the token's first character, where an editor should put the cursor.
std::size_t fault_offset(std::string_view text, std::size_t byte, std::string_view message) {
  std::size_t at = std::min(byte == 0 ? 0 : byte - 1, text.size());
  auto word = [&](std::size_t i) {
    char c = text[i];
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-';
  };
  if (message.find("unexpected string literal") != std::string_view::npos && at < text.size() &&
      text[at] == '"') {
    // Back to the opening quote; a quote after an odd number of backslashes is escaped.
    for (std::size_t i = at; i-- > 0;) {
      std::size_t slashes = 0;
      while (slashes < i && text[i - 1 - slashes] == '\\')
        ++slashes;
      if (text[i] == '"' && slashes % 2 == 0)
        return i;
    }
  } else if (at < text.size() && word(at)) { // a number or a literal such as "tru"
    while (at > 0 && word(at - 1))
      --at;
  }
  return at;
}

// Columns count characters, not UTF-8 bytes.
std::string line_and_column(std::string_view text, std::size_t at) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
// keeps what follows the library's own position: the location is reported separately.
// The library quotes the bytes it last read, which may be ill-formed UTF-8: those are
// shown as \xNN so as not to garble a terminal.
std::string syntax_message(const std::string &what) {
  auto at = what.find("parse error");
  auto colon = at == std::string::npos ? at : what.find(": ", at);
  std::string out;
  for (unsigned char c : colon == std::string::npos ? what : what.substr(colon + 2)) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      static constexpr char k_hex[] = "0123456789abcdef";
      out += "\\x";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  return out;
}

// Where the parser stopped and why.
struct Fault {
  std::size_t byte; // as parse_error::byte
  std::string message;
};

// One pass over the text with nlohmann's SAX interface, before the document is built, for
// what the document does not keep: the place of the first error (nlohmann gives none for a
// number beyond a double's range, except to a SAX reader) and the keys an object repeats
// (the document keeps one value). A parser callback could see the keys too, but nlohmann's
// callback parser looks through the enclosing array at the end of every object: quadratic
// in a list of tunnels.
class Scan : public nlohmann::json_sax<Json> {
public:
  // The first error, if any; the repeated keys go to `repeated`.
  static std::optional<Fault> run(std::string_view text, Reader::Repeated &repeated) {
    Scan scan(repeated);
    Json::sax_parse(text.begin(), text.end(), &scan);
    return std::move(scan.m_fault);
  }

  bool null() override { return element(); }
  bool boolean(bool) override { return element(); }
  bool number_integer(number_integer_t) override { return element(); }
  bool number_unsigned(number_unsigned_t) override { return element(); }
  bool number_float(number_float_t, const string_t &) override { return element(); }
  bool string(string_t &) override { return element(); }
  bool binary(binary_t &) override { return element(); }
  bool start_object(std::size_t) override { return open(false); }
  bool start_array(std::size_t) override { return open(true); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t &key) override {
    auto &top = m_stack.back();
    if (!top.keys.insert(key).second)
      repeated(key);
    top.segment = key;
    return true;
  }

  bool parse_error(std::size_t position, const std::string &last_token,
                   const nlohmann::detail::exception &e) override {
    // out_of_range.406 is the only error nlohmann's JSON parser reports that is not a
    // parse_error: "number overflow parsing '1e999'".
    m_fault = Fault{position, e.id == 406 ? "the number " + last_token + " is out of range"
                                          : syntax_message(e.what())};
    return false;
  }

private:
  explicit Scan(Reader::Repeated &repeated) : m_repeated(repeated) {}

  // An open array or object; at most k_max_nesting, each object of at most
  // k_max_object_keys keys: over_limits() has seen to that.
  struct Frame {
    bool array;
    std::size_t next_index = 0;
    std::string segment; // the key or index being read
    std::unordered_set<std::string> keys;
  };

  bool element() {
    if (!m_stack.empty() && m_stack.back().array)
      m_stack.back().segment = std::to_string(m_stack.back().next_index++);
    return true;
  }

  bool open(bool array) {
    element();
    m_stack.push_back({array, 0, {}, {}});
    return true;
  }

  bool close() {
    m_stack.pop_back();
    return true;
  }

  // Each pointer once, however often its key is repeated, and no more of them than can be
  // reported: the rest are counted. The pointer is built only now, in one string.
  void repeated(std::string_view key) {
    std::string pointer;
    for (std::size_t i = 0; i + 1 < m_stack.size(); ++i)
      append_segment(pointer, m_stack[i].segment);
    append_segment(pointer, key);
    if (m_repeated.order.contains(pointer))
      return;
    if (m_repeated.order.size() == k_max_errors)
      ++m_repeated.more;
    else
      m_repeated.order.emplace(std::move(pointer), m_repeated.order.size());
  }

  Reader::Repeated &m_repeated;
  std::vector<Frame> m_stack;
  std::optional<Fault> m_fault;
};

// Optimal string alignment distance (swapping neighbours is one edit), ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  const std::size_t width = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * width);
  auto at = [&](std::size_t i, std::size_t j) -> std::size_t & { return d[i * width + j]; };
  for (std::size_t i = 0; i <= a.size(); ++i)
    at(i, 0) = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    at(0, j) = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
    }
  return at(a.size(), b.size());
}

} // namespace

bool Reader::parse(std::string_view text, Json &doc) {
  auto report = [&](const Fault &f) {
    error(line_and_column(text, fault_offset(text, f.byte, f.message)), f.message);
    return false;
  };
  if (auto limit = over_limits(text)) {
    // A syntax error before the limit, or at its very character, is the first error.
    auto head = text.substr(0, limit->offset + 1);
    Repeated ignored;
    if (auto f = Scan::run(head, ignored); f && f->byte <= head.size())
      return report(*f);
    error(line_and_column(text, limit->offset), limit->message);
    return false;
  }
  if (auto f = Scan::run(text, m_repeated))
    return report(*f);
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const Json::exception &e) { // not expected: the scan read it with the same parser
    return report(Fault{0, syntax_message(e.what())});
  }
  return true;
}

void Reader::error(std::string location, std::string message) {
  if (m_out.size() < k_max_errors)
    m_out.push_back({std::move(location), std::move(message)});
  else
    ++m_left_out;
}

Diagnostics Reader::take_from(std::size_t first) {
  Diagnostics taken;
  if (first >= m_out.size())
    return taken;
  auto from = m_out.begin() + static_cast<std::ptrdiff_t>(first);
  taken.assign(std::make_move_iterator(from), std::make_move_iterator(m_out.end()));
  m_out.erase(from, m_out.end());
  return taken;
}

void Reader::visit_key(const std::string &pointer, std::string_view key) {
  if (m_repeated.order.erase(pointer) != 0)
    error(pointer, "key " + quote(key) + " is given more than once");
}

void Reader::report_remaining() {
  std::vector<std::pair<std::size_t, std::string>> remaining;
  for (auto &[pointer, order] : m_repeated.order)
    remaining.emplace_back(order, pointer);
  std::sort(remaining.begin(), remaining.end());
  for (auto &[order, pointer] : remaining)
    error(std::move(pointer), "this key is given more than once");
  m_left_out += m_repeated.more;
  m_repeated = {};
}

std::size_t Reader::finish() {
  auto n = found();
  if (m_left_out > 0)
    m_out.push_back({"/", "... and " + std::to_string(m_left_out) + " more error" +
                              (m_left_out == 1 ? "" : "s") + " (only the first " +
                              std::to_string(k_max_errors) + " are listed)"});
  return n;
}

std::string pointer_to(const std::string &parent, std::string_view key) {
  std::string out = parent == "/" ? "" : parent;
  append_segment(out, key);
  return out;
}

std::string pointer_to(const std::string &parent, std::size_t index) {
  return pointer_to(parent, std::to_string(index));
}

std::string quote(std::string_view s) {
  auto end = shown_length(s);
  return "'" + std::string(s.substr(0, end)) + (end < s.size() ? "...'" : "'");
}

// Containers are not printed: one could be huge or deeply nested.
std::string describe(const Json &v) {
  switch (v.type()) {
  case Json::value_t::string: {
    auto text = v.dump();
    return "the string " + (text.size() > 42 ? text.substr(0, 38) + "...\"" : text);
  }
  case Json::value_t::number_integer:
  case Json::value_t::number_unsigned:
  case Json::value_t::number_float:
    return "the number " + v.dump();
  case Json::value_t::boolean:
  case Json::value_t::null:
    return v.dump();
  case Json::value_t::array:
    return "an array";
  case Json::value_t::object:
    return "an object";
  default:
    return "an unsupported value";
  }
}

std::string_view closest(std::string_view key, std::span<const std::string_view> known) {
  std::string_view best;
  std::size_t best_distance = 3; // at most two edits away
  for (auto k : known) {
    // The distance is at least the difference in length: a long key is not compared.
    if (key.size() > k.size() + 2 || k.size() > key.size() + 2)
      continue;
    if (auto d = edit_distance(key, k); d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

std::string_view unknown_key(Reader &r, const std::string &pointer, std::string_view key,
                             std::span<const std::string_view> known, std::string_view where,
                             std::span<const KeyAlias> aliases) {
  auto meant = closest(key, known);
  for (std::size_t i = 0; meant.empty() && i < aliases.size(); ++i)
    if (!closest(key, std::span(&aliases[i].alias, 1)).empty())
      meant = aliases[i].key;
  std::string message = "unknown key " + quote(key);
  if (!meant.empty()) {
    message += "; did you mean '" + std::string(meant) + "'?";
  } else {
    message += "; " + std::string(where) + " has";
    for (std::size_t i = 0; i < known.size(); ++i)
      message += (i == 0 ? " " : i + 1 == known.size() ? " and " : ", ") + std::string(known[i]);
  }
  r.error(pointer, message);
  return meant;
}

} // namespace fouctl::config::detail
