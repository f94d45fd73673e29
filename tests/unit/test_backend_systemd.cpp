#include <doctest/doctest.h>

#include "fouctl/backend/systemd.hpp"

using namespace fouctl;

TEST_SUITE("backend::systemd") {
  TEST_CASE("a relay unit's sockets may talk to the tunnel's peer only") {
    config::TunnelSpec s;
    s.name = "rfou";
    s.peer = *util::parse_addr("2001:db8::7");
    const auto text = backend::relay_peer_dropin(s);
    CHECK(text.find("[Service]\nIPAddressDeny=any\nIPAddressAllow=2001:db8::7\n") != std::string::npos);
    CHECK(text.rfind("# Written by fouctl for the relay of tunnel 'rfou'", 0) == 0);
  }
}
