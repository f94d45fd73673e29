#include <doctest/doctest.h>

#include "fouctl/backend/choose.hpp"
#include "fouctl/plan/plan.hpp"

using namespace fouctl;
using backend::choose_mode;

namespace {

config::TunnelSpec spec(std::initializer_list<const char *> routes, const char *peer = "192.0.2.1",
                        const std::string &name = "t") {
  config::TunnelSpec s;
  s.name = name; // not a literal: g++ 12's -Wrestrict misfires on a 1-character one
  s.rx_port = 5555;
  s.tx_port = 5556;
  s.peer = *util::parse_addr(peer);
  for (const char *r : routes)
    s.routes.push_back(*util::parse_prefix(r, true));
  return s;
}

const std::vector<std::string> k_bpf_ok;
const std::vector<std::string> k_no_bpf{"CAP_BPF"};

} // namespace

TEST_SUITE("backend::choose") {
  TEST_CASE("kernel, then BPF, then the relay, each with its reason") {
    auto s = spec({"10.0.0.0/24"});
    CHECK(choose_mode(s, "", k_bpf_ok).mode == config::Mode::kernel);
    CHECK(choose_mode(s, "", k_bpf_ok).why.empty());
    auto bpf = choose_mode(s, "the kernel has no 'fou' module (CONFIG_NET_FOU)", k_bpf_ok);
    CHECK(bpf.mode == config::Mode::bpf);
    CHECK(bpf.why == "the kernel has no 'fou' module (CONFIG_NET_FOU); using the BPF datapath");
    auto relay = choose_mode(s, "the kernel has no 'fou' module (CONFIG_NET_FOU)", k_no_bpf);
    CHECK(relay.mode == config::Mode::userspace);
    CHECK(relay.why == "the kernel has no 'fou' module (CONFIG_NET_FOU); no BPF datapath (CAP_BPF); "
                       "using the userspace relay");
  }

  TEST_CASE("what only one backend carries") {
    // Both families: no kernel device carries them, one bpf tunnel does.
    auto both = spec({"10.0.0.0/24", "fd00::/64"});
    CHECK(choose_mode(both, "", k_bpf_ok).mode == config::Mode::bpf);
    CHECK(choose_mode(both, "", k_no_bpf).mode == config::Mode::userspace);
    // The seed's loopback link, relay options: the relay when no kernel.
    auto lo = spec({"10.0.0.0/24"}, "127.0.0.1");
    CHECK(choose_mode(lo, "no fou", k_bpf_ok).mode == config::Mode::userspace);
    CHECK(choose_mode(lo, "", k_bpf_ok).mode == config::Mode::kernel);
    // An IPv6 peer: the BPF datapath carries it too (outer IPv6, as fou6 and ip6tnl send).
    auto v6 = spec({"10.0.0.0/24", "fd00::/64"}, "2001:db8::1");
    CHECK(choose_mode(v6, "no fou", k_bpf_ok).mode == config::Mode::bpf);
    CHECK(choose_mode(v6, "no fou", k_no_bpf).mode == config::Mode::userspace);
    auto pi = spec({"10.0.0.0/24"});
    pi.framing = config::Framing::tun_pi;
    CHECK(choose_mode(pi, "", k_bpf_ok).mode == config::Mode::userspace);
    // A mode that is given is kept.
    auto given = spec({"10.0.0.0/24"});
    given.mode = config::Mode::bpf;
    CHECK(choose_mode(given, "", k_no_bpf).mode == config::Mode::bpf);
  }

  TEST_CASE("plan: a bpf tunnel is equal as a whole, or made anew") {
    auto s = spec({"10.0.0.0/24"});
    s.mode = config::Mode::bpf;
    plan::State have{{"t", plan::TunnelState{s, {}}}};
    CHECK(plan::make_plan(have, have).empty());
    auto more = s;
    more.routes.push_back(*util::parse_prefix("10.1.0.0/24", true));
    auto p = plan::make_plan(have, {{"t", plan::TunnelState{more, {}}}});
    REQUIRE(p.size() == 2);
    CHECK(p[0].kind == plan::ActionKind::remove);
    CHECK(p[1].kind == plan::ActionKind::create);
    CHECK(plan::describe(p[1]).find("ip route add 10.1.0.0/24 encap bpf xmit fou_encap") !=
          std::string::npos);
    // Set down (its filter gone): made anew too.
    plan::State down{{"t", plan::TunnelState{s, {}, "", true}}};
    CHECK(plan::make_plan(down, have).size() == 2);
    // A local the kernel chose is not a difference when none is asked for.
    auto chosen = s;
    chosen.local = *util::parse_addr("192.0.2.9");
    CHECK(plan::make_plan({{"t", plan::TunnelState{chosen, {}}}}, have).empty());
  }
}
