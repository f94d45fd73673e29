// The firewall facts: the namespace's ruleset read once (libnftables), then the verdict of
// netfilter's input path on each tunnel's datagrams from its peer.
#include "fouctl/doctor/firewall.hpp"
#include "fouctl/doctor/gather.hpp"
#include "fouctl/doctor/nft_read.hpp"

namespace fouctl::doctor {

namespace {

FirewallFacts::Outcome outcome_of(FirewallOutcome o) {
  switch (o) {
  case FirewallOutcome::accepted:
    return FirewallFacts::Outcome::accepted;
  case FirewallOutcome::dropped:
    return FirewallFacts::Outcome::dropped;
  case FirewallOutcome::rejected:
    return FirewallFacts::Outcome::rejected;
  case FirewallOutcome::unknown:
    break;
  }
  return FirewallFacts::Outcome::unknown;
}

} // namespace

void gather_firewall(std::vector<Facts> &facts) {
  // BPF tunnels take their datagrams before netfilter: nothing to read for them.
  bool wanted = false;
  for (const auto &f : facts)
    wanted = wanted || f.tunnel.mode != "bpf";
  if (!wanted)
    return;
  const auto ruleset = read_ruleset();
  for (auto &f : facts) {
    const auto &t = f.tunnel;
    if (!ruleset) {
      f.firewall.outcome = FirewallFacts::Outcome::unread;
      f.firewall.unread_reason = ruleset.error().describe();
      continue;
    }
    UdpFlow flow;
    flow.src = t.peer;
    // The address the peer sends to: the tunnel's local one, else the source this host
    // uses towards the peer.
    flow.dst = t.local.is_set() && !t.local.is_unspecified() ? t.local : f.path.prefsrc;
    // A kernel peer picks its source port at random; a bound tunnel's peer sends from its
    // TX_PORT.
    flow.sport = t.peer_port_fixed ? t.tx_port : 0;
    flow.dport = t.rx_port;
    flow.iifname = f.path.loopback_peer || f.path.peer_is_local ? "lo" : f.path.dev;
    const auto v = input_verdict(*ruleset, flow);
    f.firewall.outcome = outcome_of(v.outcome);
    f.firewall.evidence = v.evidence;
    f.firewall.fix = v.fix;
  }
}

} // namespace fouctl::doctor
