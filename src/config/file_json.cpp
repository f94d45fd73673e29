// The config file as JSON: syntax errors with a line and column, keys given twice, JSON
// pointers, and the wording of values and unknown keys in messages.
#include <algorithm>
#include <cctype>
#include <functional>
#include <set>

#include "file_internal.hpp"

namespace fouctl::config::detail {

namespace {

// Records, while parsing, the pointer of every key an object repeats; nlohmann's callback
// sees each key but no position, so positions are tracked as a stack of keys and indexes.
class RepeatedKeys {
public:
  bool operator()(int, Json::parse_event_t event, Json &parsed) {
    using E = Json::parse_event_t;
    bool element = event == E::value || event == E::object_start || event == E::array_start;
    if (element && !m_stack.empty() && m_stack.back().array)
      m_stack.back().segment = std::to_string(m_stack.back().next_index++);
    if (event == E::object_start || event == E::array_start) {
      m_stack.push_back({event == E::array_start, 0, {}, {}});
    } else if (event == E::object_end || event == E::array_end) {
      m_stack.pop_back();
    } else if (event == E::key && !m_stack.empty()) {
      const auto &key = parsed.get_ref<const std::string &>();
      m_stack.back().segment = key;
      if (!m_stack.back().keys.insert(key).second)
        m_repeated.push_back(pointer());
    }
    return true; // keep everything: the document is built as without a callback
  }

  [[nodiscard]] std::vector<std::string> take() { return std::move(m_repeated); }

private:
  struct Frame {
    bool array;
    std::size_t next_index;
    std::string segment; // the key or index being parsed
    std::set<std::string> keys;
  };

  [[nodiscard]] std::string pointer() const {
    std::string p = "/";
    for (const auto &f : m_stack)
      p = pointer_to(p, f.segment);
    return p;
  }

  std::vector<Frame> m_stack;
  std::vector<std::string> m_repeated;
};

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

// Optimal string alignment distance (swapping neighbours is one edit), ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

} // namespace

bool Reader::parse(std::string_view text, Json &doc) {
  RepeatedKeys repeated;
  try {
    doc = Json::parse(text.begin(), text.end(), std::ref(repeated));
  } catch (const Json::parse_error &e) {
    auto message = syntax_message(e.what());
    error(line_and_column(text, fault_offset(text, e.byte, message)), message);
    return false;
  }
  m_repeated = repeated.take();
  return true;
}

void Reader::error(std::string location, std::string message) {
  m_out.push_back({std::move(location), std::move(message)});
}

void Reader::visit_key(const std::string &pointer, std::string_view key) {
  auto it = std::find(m_repeated.begin(), m_repeated.end(), pointer);
  if (it == m_repeated.end())
    return;
  m_repeated.erase(it);
  error(pointer, "key " + quote(key) + " is given more than once");
}

void Reader::report_remaining() {
  for (auto &pointer : m_repeated)
    error(pointer, "this key is given more than once");
  m_repeated.clear();
}

std::string pointer_to(const std::string &parent, std::string_view key) {
  std::string out = parent == "/" ? "" : parent;
  out += '/';
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string pointer_to(const std::string &parent, std::size_t index) {
  return pointer_to(parent, std::to_string(index));
}

std::string quote(std::string_view s) {
  constexpr std::size_t k_max = 40;
  std::size_t end = std::min(s.size(), k_max);
  // Back up to the start of a UTF-8 character rather than cut one in half.
  while (end < s.size() && end > 0 && (static_cast<unsigned char>(s[end]) & 0xc0) == 0x80)
    --end;
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
  for (auto k : known)
    if (auto d = edit_distance(key, k); d < best_distance) {
      best = k;
      best_distance = d;
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
