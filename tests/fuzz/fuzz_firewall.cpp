// The nftables ruleset as doctor reads it (libnftables' JSON): whoever holds CAP_NET_ADMIN in
// the namespace writes it, so input_verdict() must answer for any JSON, never crash or throw,
// and explain every outcome but "accepted". The seeds are real nft 1.0.6 rulesets
// (tests/unit/nft).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "fouctl/doctor/firewall.hpp"

using namespace fouctl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  auto json = nlohmann::json::parse(data, data + size, nullptr, false);
  if (json.is_discarded())
    return 0;
  for (const char *peer : {"192.0.2.2", "2001:db8::2"}) {
    doctor::UdpFlow flow;
    flow.src = *util::parse_addr(peer);
    flow.dport = 5555;
    flow.iifname = "ul0";
    auto v = doctor::input_verdict(json, flow);
    if (v.outcome == doctor::FirewallOutcome::accepted)
      FUZZ_CHECK(v.fix.empty());
    else
      FUZZ_CHECK(!v.evidence.empty());
  }
  return 0;
}
