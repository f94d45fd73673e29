#pragma once
// Test helpers: compare byte buffers as readable hex.
#include <cstdint>
#include <string>
#include <vector>

namespace fouctl::test {

inline std::string hex(const std::vector<std::uint8_t> &v) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0)
      s += (i % 4 == 0) ? " | " : " ";
    s += digits[v[i] >> 4];
    s += digits[v[i] & 15];
  }
  return s;
}

// "34 00 00 00 | 1c 00" -> bytes; '|' and spaces are ignored.
inline std::vector<std::uint8_t> unhex(const std::string &text) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (char c : text) {
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0)
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

} // namespace fouctl::test
