#include <doctest/doctest.h>

#include <linux/if.h>
#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstring>

#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/nl/route.hpp"
#include "hex.hpp"

using namespace fouctl;
using test::hex;
using test::unhex;

namespace {

nl::IpipLinkSpec seed_link() {
  nl::IpipLinkSpec s;
  s.name = "fou2001";
  s.mtu = 100;
  s.tunnel.local = *util::parse_addr("127.0.0.1");
  s.tunnel.remote = *util::parse_addr("127.0.0.1");
  s.tunnel.encap_dport = 2002;
  return s;
}

// A message whose header claims `claimed` bytes, in a buffer of exactly `held` bytes.
struct Lie {
  std::uint32_t claimed;
  std::size_t held;
};

// A message of `type` told by `lie` (zeros after the header), so that AddressSanitizer
// sees any read past either length.
nl::Reply lying(std::uint16_t type, Lie lie) {
  std::vector<std::uint8_t> b(lie.held);
  nlmsghdr h{};
  h.nlmsg_len = lie.claimed;
  h.nlmsg_type = type;
  std::memcpy(b.data(), &h, std::min(lie.held, sizeof h));
  return nl::Reply{std::move(b)};
}

// Lies where the family header of `fixed` bytes does not fit in one length or both.
std::vector<Lie> too_short(std::size_t fixed) {
  auto whole = static_cast<std::uint32_t>(NLMSG_HDRLEN + fixed);
  return {{whole - 1, whole - 1}, {whole - 1, whole + 16}, {whole, whole - 1},
          {16, whole},            {0, whole},              {0xffffffff, whole},
          {whole, 8}};
}

} // namespace

TEST_SUITE("nl::link") {
  TEST_CASE("RTM_NEWLINK ipip with FOU encap: golden bytes") {
    auto m = nl::build_ipip_create(seed_link());
    REQUIRE(m);
    auto got = m->bytes();
    auto want = unhex("a8 00 00 00  10 00 09 06  00 00 00 00  00 00 00 00" // NEWLINK, REQ|ECHO|EXCL|CREATE
                      "00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00" // ifinfomsg
                      "0c 00 03 00  66 6f 75 32  30 30 31 00"               // IFNAME "fou2001"
                      "08 00 04 00  64 00 00 00"                            // MTU 100
                      "74 00 12 00"                                         // LINKINFO
                      "09 00 01 00  69 70 69 70  00 00 00 00"               //  KIND "ipip"
                      "64 00 02 00"                                         //  DATA
                      "08 00 01 00  00 00 00 00"                            //   LINK 0
                      "08 00 02 00  7f 00 00 01"                            //   LOCAL 127.0.0.1
                      "08 00 03 00  7f 00 00 01"                            //   REMOTE 127.0.0.1
                      "05 00 04 00  40 00 00 00"                            //   TTL 64
                      "05 00 05 00  00 00 00 00"                            //   TOS 0
                      "05 00 09 00  04 00 00 00"                            //   PROTO 4
                      "05 00 0a 00  01 00 00 00"                            //   PMTUDISC 1
                      "06 00 0f 00  01 00 00 00"                            //   ENCAP_TYPE 1, host order
                      "06 00 10 00  00 00 00 00"                            //   ENCAP_FLAGS 0
                      "06 00 11 00  00 00 00 00"                            //   ENCAP_SPORT auto
                      "06 00 12 00  07 d2 00 00"                            //   ENCAP_DPORT 2002, big-endian
                      "08 00 14 00  00 00 00 00");                          //   FWMARK 0
    // libnl may flag nests with NLA_F_NESTED (0x8000); the kernel accepts both.
    for (std::size_t off : {52u, 68u})
      if (got.size() > off + 3)
        got[off + 3] &= 0x7f;
    CHECK(hex(got) == hex(want));
  }

  TEST_CASE("RTM_NEWLINK parses back to the same tunnel parameters") {
    auto spec = seed_link();
    spec.tunnel.encap_sport = 4242;
    spec.tunnel.fwmark = 9;
    auto m = nl::build_ipip_create(spec);
    REQUIRE(m);
    auto l = nl::parse_link(nl::Reply{m->bytes()});
    REQUIRE(l);
    CHECK(l->name == "fou2001");
    CHECK(l->kind == "ipip");
    CHECK(l->mtu == 100);
    REQUIRE(l->tunnel);
    CHECK(*l->tunnel == spec.tunnel);
  }

  TEST_CASE("set: alias and IFF_UP in ifi_change, ifindex in the header") {
    auto m = nl::build_link_set(7, std::nullopt, std::string("fouctl:v1"), true);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("30 00 00 00  10 00 01 00  00 00 00 00  00 00 00 00"
                                       "00 00 00 00  07 00 00 00  01 00 00 00  01 00 00 00"
                                       "0e 00 14 00  66 6f 75 63  74 6c 3a 76  31 00 00 00")));
  }

  TEST_CASE("get by name: a do request with IFLA_IFNAME") {
    auto m = nl::build_link_get("fou2001");
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("2c 00 00 00  12 00 01 00  00 00 00 00  00 00 00 00"
                                       "00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00"
                                       "0c 00 03 00  66 6f 75 32  30 30 31 00")));
  }

  TEST_CASE("change in place: no CREATE/EXCL, the ifindex, the full IPTUN set") {
    auto spec = seed_link();
    spec.tunnel.encap_dport = 4000;
    auto m = nl::build_ipip_change(9, spec.tunnel);
    REQUIRE(m);
    auto b = m->bytes();
    CHECK(m->flags() == NLM_F_REQUEST); // never creates, never replaces another device
    CHECK(b[20] == 9);                  // ifi_index
    auto l = nl::parse_link(nl::Reply{b});
    REQUIRE(l);
    REQUIRE(l->tunnel);
    CHECK(*l->tunnel == spec.tunnel);
    CHECK(l->tunnel->encap_dport == 4000);
    // ENCAP_DPORT 4000 = 0x0fa0, big-endian, as the last but one attribute.
    auto tail = hex({b.end() - 16, b.end() - 8});
    CHECK(tail == hex(unhex("06 00 12 00 0f a0 00 00")));
  }

  TEST_CASE("del and dump") {
    auto d = nl::build_link_del(7);
    REQUIRE(d);
    CHECK(hex(d->bytes()) == hex(unhex("20 00 00 00  11 00 01 00  00 00 00 00  00 00 00 00"
                                       "00 00 00 00  07 00 00 00  00 00 00 00  00 00 00 00")));
    auto dump = nl::build_link_dump();
    REQUIRE(dump);
    CHECK((dump->flags() & NLM_F_DUMP) == NLM_F_DUMP);
    CHECK(dump->type() == RTM_GETLINK);
  }

  TEST_CASE("a truncated reply is refused, a malformed attribute stops parsing safely") {
    CHECK_FALSE(nl::parse_link(nl::Reply{unhex("10 00 00 00 10 00 00 00 00 00 00 00 00 00 00 00")}));
    auto bad = unhex("24 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                     "00 00 00 00  05 00 00 00  01 00 00 00  00 00 00 00"
                     "ff 00 03 00"); // nla_len runs past the end
    auto l = nl::parse_link(nl::Reply{bad});
    REQUIRE(l);
    CHECK(l->ifindex == 5);
    CHECK(l->name.empty());
    CHECK(l->is_up());
  }

  TEST_CASE("a reply too short for ifinfomsg, by nlmsg_len or by its buffer, is refused") {
    for (auto lie : too_short(sizeof(ifinfomsg))) {
      CAPTURE(lie.claimed);
      CAPTURE(lie.held);
      auto l = nl::parse_link(lying(RTM_NEWLINK, lie));
      REQUIRE_FALSE(l);
      CHECK(l.error().message == "the kernel sent a short RTM_NEWLINK");
    }
    constexpr auto k_whole = NLMSG_HDRLEN + sizeof(ifinfomsg);
    CHECK(nl::parse_link(lying(RTM_NEWLINK, {k_whole, k_whole})));
  }
}

TEST_SUITE("nl::addr") {
  TEST_CASE("RTM_NEWADDR golden bytes and parse back") {
    nl::AddrInfo a{5, *util::parse_prefix("10.0.2.2/24", false)};
    auto m = nl::build_addr_add(a);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("28 00 00 00  14 00 01 06  00 00 00 00  00 00 00 00"
                                       "02 18 00 00  05 00 00 00"        // AF_INET /24 index 5
                                       "08 00 02 00  0a 00 02 02"        // IFA_LOCAL
                                       "08 00 01 00  0a 00 02 02")));    // IFA_ADDRESS
    auto back = nl::parse_addr(nl::Reply{m->bytes()});
    REQUIRE(back);
    CHECK(*back == a);
  }

  TEST_CASE("IPv6 address") {
    nl::AddrInfo a{3, *util::parse_prefix("fd00::1/64", false)};
    auto m = nl::build_addr_del(a);
    REQUIRE(m);
    auto b = m->bytes();
    CHECK(b[4] == RTM_DELADDR);
    CHECK(b[16] == 10); // AF_INET6
    CHECK(b[17] == 64);
    auto back = nl::parse_addr(nl::Reply{b});
    REQUIRE(back);
    CHECK(back->prefix.to_string() == "fd00::1/64");
  }

  TEST_CASE("a reply too short for ifaddrmsg, by nlmsg_len or by its buffer, is refused") {
    for (auto lie : too_short(sizeof(ifaddrmsg))) {
      CAPTURE(lie.claimed);
      CAPTURE(lie.held);
      auto a = nl::parse_addr(lying(RTM_NEWADDR, lie));
      REQUIRE_FALSE(a);
      CHECK(a.error().message == "the kernel sent a short RTM_NEWADDR");
    }
  }
}

TEST_SUITE("nl::route") {
  TEST_CASE("RTM_NEWROUTE golden bytes: proto fouctl, scope link, EXCL") {
    nl::RouteInfo r;
    r.dst = *util::parse_prefix("10.0.2.0/24", true);
    r.oif = 5;
    auto m = nl::build_route_add(r);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("34 00 00 00  18 00 01 06  00 00 00 00  00 00 00 00"
                                       "02 18 00 00  fe fc fd 01  00 00 00 00" // main, 252, link, unicast
                                       "08 00 01 00  0a 00 02 00"              // RTA_DST
                                       "08 00 0f 00  fe 00 00 00"              // RTA_TABLE 254
                                       "08 00 04 00  05 00 00 00")));          // RTA_OIF 5
    auto back = nl::parse_route(nl::Reply{m->bytes()});
    REQUIRE(back);
    CHECK(*back == r);
  }

  TEST_CASE("DELROUTE uses scope nowhere so the kernel matches any scope") {
    nl::RouteInfo r;
    r.dst = *util::parse_prefix("10.0.2.2", true);
    r.oif = 9;
    auto m = nl::build_route_del(r);
    REQUIRE(m);
    auto b = m->bytes();
    CHECK(b[4] == RTM_DELROUTE);
    CHECK(b[17] == 32);
    CHECK(b[22] == RT_SCOPE_NOWHERE);
  }

  TEST_CASE("a default route parses with the zero address") {
    auto b = unhex("24 00 00 00  18 00 00 00  00 00 00 00  00 00 00 00"
                   "02 00 00 00  fe 03 00 01  00 00 00 00"
                   "08 00 04 00  02 00 00 00");
    auto r = nl::parse_route(nl::Reply{b});
    REQUIRE(r);
    CHECK(r->dst.to_string() == "0.0.0.0/0");
    CHECK(r->oif == 2);
    CHECK(r->protocol == 3);
  }

  TEST_CASE("route get: a do request for one address, from a source when given") {
    auto m = nl::build_route_get(*util::parse_addr("192.0.2.1"), {});
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("24 00 00 00  1a 00 01 00  00 00 00 00  00 00 00 00"
                                       "02 20 00 00  00 00 00 00  00 00 00 00" // dst_len 32
                                       "08 00 01 00  c0 00 02 01")));         // RTA_DST
    auto from = nl::build_route_get(*util::parse_addr("2001:db8::2"), *util::parse_addr("2001:db8::1"));
    REQUIRE(from);
    auto b = from->bytes();
    CHECK(b[16] == AF_INET6);
    CHECK(b[17] == 128); // dst_len
    CHECK(b[18] == 128); // src_len
    CHECK(b.size() == 16 + 12 + 20 + 20);
    CHECK(b[28 + 20 + 2] == RTA_SRC);
  }

  TEST_CASE("route get's answer: output device, type, and the path MTU in RTA_METRICS") {
    auto b = unhex("38 00 00 00  18 00 00 00  00 00 00 00  00 00 00 00"
                   "02 20 00 00  fe 00 00 01  00 00 00 00"
                   "08 00 01 00  c0 00 02 01"               // RTA_DST
                   "08 00 04 00  07 00 00 00"               // RTA_OIF 7
                   "0c 00 08 00  08 00 02 00  28 23 00 00"); // RTA_METRICS { RTAX_MTU 9000 }
    auto r = nl::parse_route_lookup(nl::Reply{b});
    REQUIRE(r);
    CHECK(r->oif == 7);
    CHECK(r->type == RTN_UNICAST);
    CHECK(r->mtu == 9000);
    b.resize(0x2c); // without the metrics: no MTU of its own
    b[0] = 0x2c;
    auto plain = nl::parse_route_lookup(nl::Reply{b});
    REQUIRE(plain);
    CHECK(plain->mtu == 0);
  }

  TEST_CASE("a reply too short for rtmsg, by nlmsg_len or by its buffer, is refused") {
    for (auto lie : too_short(sizeof(rtmsg))) {
      CAPTURE(lie.claimed);
      CAPTURE(lie.held);
      CHECK_FALSE(nl::parse_route_lookup(lying(RTM_NEWROUTE, lie)));
      auto r = nl::parse_route(lying(RTM_NEWROUTE, lie));
      REQUIRE_FALSE(r);
      CHECK(r.error().message == "the kernel sent a short RTM_NEWROUTE");
    }
  }
}
