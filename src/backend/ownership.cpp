#include "fouctl/backend/ownership.hpp"

#include <charconv>
#include <sstream>

namespace fouctl::backend {

static constexpr std::string_view k_prefix = "fouctl:v1 ";

std::string format_mark(const OwnerMark &m) {
  return std::string(k_prefix) + "mode=" + m.mode + " rx=" + std::to_string(m.rx_port) +
         " tx=" + std::to_string(m.tx_port) + (m.mtu_auto ? " mtu=auto" : "");
}

static bool parse_port(std::string_view v, std::uint16_t &out) {
  unsigned n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n == 0 || n > 65535)
    return false;
  out = static_cast<std::uint16_t>(n);
  return true;
}

std::optional<OwnerMark> parse_mark(const std::string &alias) {
  if (alias.compare(0, k_prefix.size(), k_prefix) != 0)
    return std::nullopt;
  OwnerMark m;
  std::istringstream in(alias.substr(k_prefix.size()));
  std::string field;
  while (in >> field) {
    auto eq = field.find('=');
    if (eq == std::string::npos)
      return std::nullopt;
    std::string_view key(field.data(), eq), value(field.data() + eq + 1, field.size() - eq - 1);
    if (key == "mode")
      m.mode = value;
    else if (key == "rx" && !parse_port(value, m.rx_port))
      return std::nullopt;
    else if (key == "tx" && !parse_port(value, m.tx_port))
      return std::nullopt;
    else if (key == "mtu")
      m.mtu_auto = value == "auto";
  }
  if (m.rx_port == 0 || m.mode.empty())
    return std::nullopt;
  return m;
}

} // namespace fouctl::backend
