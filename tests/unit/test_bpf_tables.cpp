#include <doctest/doctest.h>

#include <bpf/libbpf.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>

#include "fouctl/bpf/datapath.hpp"
#include "fouctl/bpf/embedded.hpp"
#include "fouctl/bpf/tables.hpp"

using namespace fouctl;

namespace {

config::TunnelSpec spec() {
  config::TunnelSpec s;
  s.name = "fou5555";
  s.rx_port = 5555;
  s.tx_port = 0x1234;
  s.peer = *util::parse_addr("192.168.120.2");
  s.routes = {*util::parse_prefix("10.61.0.2/32", true)};
  s.addresses = {*util::parse_prefix("10.61.0.1/24", false), *util::parse_prefix("fd61::1", false)};
  s.mtu = 1472;
  s.mtu_auto = true;
  s.mode = config::Mode::bpf;
  return s;
}

} // namespace

TEST_SUITE("bpf::tables") {
  TEST_CASE("make_entry: ports and addresses in network order, the rest host order") {
    auto local = *util::parse_addr("192.168.120.1");
    auto t = bpf::make_entry(spec(), local, 7);
    REQUIRE(t);
    CHECK(t->in_use == 1);
    CHECK(t->encap == FOUCTL_BPF_ENCAP_FOU);
    CHECK(t->family == 4);
    const auto *tx = reinterpret_cast<const std::uint8_t *>(&t->tx_port);
    CHECK(tx[0] == 0x12); // big-endian on the wire and in the map
    CHECK(tx[1] == 0x34);
    CHECK(t->local[0] == 192);
    CHECK(t->local[3] == 1);
    CHECK(t->peer[3] == 2);
    CHECK(t->ttl == 64);
    CHECK(t->ifindex == 7);
    CHECK(t->mtu == 1472);
    CHECK(t->mtu_auto == 1);
    CHECK(t->local_given == 0);
    CHECK(bpf::name_of(*t) == "fou5555");
    CHECK(bpf::local_of(*t).to_string() == "192.168.120.1");
    CHECK(bpf::peer_of(*t).to_string() == "192.168.120.2");
    auto addrs = bpf::addresses_of(*t);
    REQUIRE(addrs.size() == 2);
    CHECK(addrs[0].to_string() == "10.61.0.1/24");
    CHECK(addrs[1].to_string() == "fd61::1/128");
    auto key = bpf::rx_key_of(*t);
    CHECK(key.port == t->rx_port);
    CHECK(key.family == 4);
    CHECK(std::memcmp(key.local, t->local, 16) == 0);
  }

  TEST_CASE("make_entry: an IPv6 underlay keeps 16-byte addresses and family 6") {
    auto s = spec();
    s.peer = *util::parse_addr("2001:db8::2");
    auto t = bpf::make_entry(s, *util::parse_addr("2001:db8::1"), 7);
    REQUIRE(t);
    CHECK(t->family == 6);
    CHECK(t->ttl == 64);
    CHECK(t->local[0] == 0x20);
    CHECK(t->local[15] == 1);
    CHECK(t->peer[15] == 2);
    CHECK(bpf::local_of(*t).to_string() == "2001:db8::1");
    CHECK(bpf::peer_of(*t).to_string() == "2001:db8::2");
    auto key = bpf::rx_key_of(*t);
    CHECK(key.family == 6);
    CHECK(std::memcmp(key.local, t->local, 16) == 0);
  }

  TEST_CASE("make_entry refuses what the datapath cannot carry") {
    auto s = spec();
    s.peer = *util::parse_addr("2001:db8::2");
    CHECK(bpf::make_entry(s, *util::parse_addr("192.168.120.1"), 1).error().kind ==
          util::ErrorKind::usage);
    s = spec();
    s.addresses.assign(FOUCTL_BPF_MAX_ADDRS + 1, *util::parse_prefix("10.0.0.1", false));
    CHECK(!bpf::make_entry(s, *util::parse_addr("192.168.120.1"), 1));
  }

  TEST_CASE("same_tunnel ignores clsact ownership, not settings") {
    auto local = *util::parse_addr("192.168.120.1");
    auto a = *bpf::make_entry(spec(), local, 7);
    auto b = a;
    b.clsact_ours = 1;
    CHECK(bpf::same_tunnel(a, b));
    auto s = spec();
    s.encap = config::Encap::gue;
    auto c = *bpf::make_entry(s, local, 7);
    CHECK(c.encap == FOUCTL_BPF_ENCAP_GUE);
    CHECK(!bpf::same_tunnel(a, c));
    CHECK(!bpf::same_tunnel(a, *bpf::make_entry(spec(), local, 8)));
  }

  TEST_CASE("headroom: outer IPv4 or IPv6 and UDP, plus GUE's 4 bytes") {
    const auto v4 = *util::parse_addr("192.0.2.1");
    const auto v6 = *util::parse_addr("2001:db8::1");
    CHECK(bpf::headroom(v4, config::Encap::fou) == 28);
    CHECK(bpf::headroom(v4, config::Encap::gue) == 32);
    CHECK(bpf::headroom(v6, config::Encap::fou) == 48);
    CHECK(bpf::headroom(v6, config::Encap::gue) == 52);
  }

  TEST_CASE("per-CPU counters add up field by field") {
    fouctl_stats a{}, b{};
    a.rx_packets = 1;
    a.tx_bytes = 100;
    a.malformed = 2;
    b.rx_packets = 3;
    b.foreign_source = 4;
    b.redirect_failed = 5;
    auto s = bpf::sum({a, b});
    CHECK(s.rx_packets == 4);
    CHECK(s.tx_bytes == 100);
    CHECK(s.malformed == 2);
    CHECK(s.foreign_source == 4);
    CHECK(s.redirect_failed == 5);
  }
}

TEST_SUITE("bpf::embedded") {
  TEST_CASE("the embedded object opens (no load, no privilege) with both programs and all maps") {
    libbpf_set_print(nullptr);
    auto obj = bpf::embedded_object();
    REQUIRE(obj.size() > 64);
    CHECK(std::memcmp(obj.data(), "\x7f" "ELF", 4) == 0);
    std::unique_ptr<bpf_object, decltype(&bpf_object__close)> o(
        bpf_object__open_mem(obj.data(), obj.size(), nullptr), &bpf_object__close);
    REQUIRE(o);
    auto *encap = bpf_object__find_program_by_name(o.get(), bpf::k_encap_prog);
    auto *decap = bpf_object__find_program_by_name(o.get(), bpf::k_decap_prog);
    REQUIRE(encap);
    REQUIRE(decap);
    CHECK(bpf_program__type(encap) == BPF_PROG_TYPE_LWT_XMIT);
    CHECK(bpf_program__type(decap) == BPF_PROG_TYPE_SCHED_CLS);
    std::set<std::string> names;
    bpf_map *m = nullptr;
    bpf_object__for_each_map(m, o.get()) {
      names.insert(bpf_map__name(m));
      if (std::string(bpf_map__name(m)) == "fou_tunnels")
        CHECK(bpf_map__value_size(m) == sizeof(fouctl_tunnel));
      if (std::string(bpf_map__name(m)) == "fou_stats")
        CHECK(bpf_map__value_size(m) == sizeof(fouctl_stats));
    }
    for (const char *n : bpf::k_map_names)
      CHECK(names.count(n) == 1);
  }
}
