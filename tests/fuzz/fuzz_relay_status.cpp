// What a relay answers on its control socket ("status"), as status, apply and down read
// it: parse_relay_status() must turn any text into a status or an error, never a crash.
// A status it accepts is compared with a tunnel the way apply does (relay_differences).
#include <cstdint>
#include <string>

#include "check.hpp"
#include "fouctl/backend/userspace.hpp"

using namespace fouctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  auto status = backend::parse_relay_status("fou2001", text);
  if (!status) {
    FUZZ_CHECK(!status.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(status->name == "fou2001");
  config::TunnelSpec spec;
  spec.name = "fou2001";
  spec.rx_port = 2001;
  spec.tx_port = 2002;
  (void)backend::relay_differences(spec, *status);
  return 0;
}
