// The config file as `fouctl check` reads it: parse_config() is syntax, types, each tunnel's
// rules and the rules between tunnels, on any text. Properties: a config comes back exactly
// when there are no errors; every error has a place and a message; and a valid config,
// written back with write_config(), parses to the same tunnels (what `up` relies on when it
// hands a relay unit its tunnel as a file).
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "fouctl/config/file.hpp"

using namespace fouctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  auto outcome = config::parse_config(text);
  FUZZ_CHECK(outcome.config.has_value() == outcome.errors.empty());
  for (const auto &d : outcome.errors) {
    FUZZ_CHECK(!d.location.empty());
    FUZZ_CHECK(!d.message.empty());
    (void)config::format(d, "fuzz.json");
  }
  if (outcome.config) {
    auto again = config::parse_config(config::write_config(outcome.config->tunnels));
    FUZZ_CHECK(again.config.has_value());
    FUZZ_CHECK(again.config->tunnels == outcome.config->tunnels);
  }
  return 0;
}
