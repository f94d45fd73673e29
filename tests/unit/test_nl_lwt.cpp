#include <doctest/doctest.h>

#include <linux/if_addr.h>
#include <linux/lwtunnel.h>
#include <linux/rtnetlink.h>

#include "fouctl/nl/host_addr.hpp"
#include "fouctl/nl/lwt.hpp"
#include "fouctl/nl/tc.hpp"
#include "hex.hpp"

using namespace fouctl;
using test::hex;
using test::unhex;

namespace {

nl::LwtRoute bpf_route() {
  nl::LwtRoute r;
  r.dst = *util::parse_prefix("10.60.0.2/32", true);
  r.oif = 7;
  r.prefsrc = *util::parse_addr("10.60.0.1");
  r.prog_fd = 9;
  r.prog_name = "fou_encap";
  r.headroom = 28;
  r.mtu = 1500;
  return r;
}

// libnl may flag nests with NLA_F_NESTED (0x8000); the kernel accepts both.
std::vector<std::uint8_t> unflag(std::vector<std::uint8_t> b, std::initializer_list<std::size_t> nests) {
  for (auto off : nests)
    if (b.size() > off + 3)
      b[off + 3] &= 0x7f;
  return b;
}

} // namespace

TEST_SUITE("nl::lwt") {
  TEST_CASE("RTM_NEWROUTE with a BPF xmit encap: golden bytes") {
    auto m = nl::build_lwt_route_add(bpf_route());
    REQUIRE(m);
    auto got = unflag(m->bytes(), {68, 72, 108});
    auto want = unhex("80 00 00 00  18 00 01 06  00 00 00 00  00 00 00 00" // NEWROUTE, REQ|EXCL|CREATE
                      "02 20 00 00  fe fc fd 01  00 00 00 00"  // inet /32, main, proto 252, link, unicast
                      "08 00 01 00  0a 3c 00 02"               // DST 10.60.0.2
                      "08 00 0f 00  fe 00 00 00"               // TABLE 254
                      "08 00 04 00  07 00 00 00"               // OIF 7
                      "08 00 07 00  0a 3c 00 01"               // PREFSRC 10.60.0.1
                      "06 00 15 00  06 00 00 00"               // ENCAP_TYPE 6 (BPF), host order u16
                      "28 00 16 00"                            // ENCAP
                      "1c 00 03 00"                            //  LWT_BPF_XMIT
                      "08 00 01 00  09 00 00 00"               //   PROG_FD 9
                      "0e 00 02 00  66 6f 75 5f  65 6e 63 61  70 00 00 00" // PROG_NAME "fou_encap"
                      "08 00 04 00  1c 00 00 00"               //  XMIT_HEADROOM 28
                      "14 00 08 00"                            // METRICS
                      "08 00 01 00  04 00 00 00"               //  RTAX_LOCK: 1 << RTAX_MTU
                      "08 00 02 00  dc 05 00 00");             //  RTAX_MTU 1500
    CHECK(hex(got) == hex(want));
  }

  TEST_CASE("an IPv6 route without source or MTU leaves those attributes out") {
    auto r = bpf_route();
    r.dst = *util::parse_prefix("fd61::2/128", true);
    r.prefsrc = {};
    r.mtu = 0;
    r.headroom = 0;
    auto m = nl::build_lwt_route_add(r);
    REQUIRE(m);
    auto b = m->bytes();
    CHECK(b[16] == AF_INET6);
    CHECK(b[17] == 128);
    const nl::Reply reply{b}; // outlives the table, which points into it
    nl::AttrTable t(reply.attrs_after(sizeof(rtmsg)), RTA_MAX);
    CHECK(!t.has(RTA_PREFSRC));
    CHECK(!t.has(RTA_METRICS));
    CHECK(!t.nested(RTA_ENCAP, LWT_BPF_MAX).has(LWT_BPF_XMIT_HEADROOM));
    CHECK(t.addr(RTA_DST, AF_INET6).to_string() == "fd61::2");
  }

  TEST_CASE("parses back; other routes are not BPF routes") {
    auto m = nl::build_lwt_route_add(bpf_route());
    REQUIRE(m);
    auto parsed = nl::parse_lwt_route(nl::Reply{m->bytes()});
    REQUIRE(parsed);
    REQUIRE(parsed->has_value());
    auto want = bpf_route();
    want.prog_fd = -1; // the kernel answers with the name only
    CHECK(**parsed == want);

    nl::RouteInfo plain;
    plain.dst = *util::parse_prefix("10.0.0.0/8", true);
    plain.oif = 3;
    auto other = nl::build_route_add(plain);
    REQUIRE(other);
    auto none = nl::parse_lwt_route(nl::Reply{other->bytes()});
    REQUIRE(none);
    CHECK(!none->has_value());
  }
}

TEST_SUITE("nl::host_addr") {
  TEST_CASE("RTM_NEWADDR on lo, noprefixroute, proto 252: golden bytes, parsed back") {
    nl::HostAddr h{1, *util::parse_prefix("10.60.0.1/32", true), 252, IFA_F_NOPREFIXROUTE};
    auto m = nl::build_host_addr_add(h);
    REQUIRE(m);
    CHECK(hex(m->bytes()) ==
          hex(unhex("38 00 00 00  14 00 01 06  00 00 00 00  00 00 00 00" // NEWADDR, REQ|EXCL|CREATE
                    "02 20 00 00  01 00 00 00"                // inet /32, flags 0 (low 8 bits), lo
                    "08 00 02 00  0a 3c 00 01"                // LOCAL 10.60.0.1
                    "08 00 01 00  0a 3c 00 01"                // ADDRESS 10.60.0.1
                    "08 00 08 00  00 02 00 00"                // FLAGS 0x200 noprefixroute, host order
                    "05 00 0b 00  fc 00 00 00")));            // PROTO 252
    auto back = nl::parse_host_addr(nl::Reply{m->bytes()});
    REQUIRE(back);
    CHECK(*back == h);
  }
}

TEST_SUITE("nl::tc") {
  TEST_CASE("filter and qdisc dumps: golden bytes") {
    auto f = nl::build_filter_dump(7, nl::k_tc_parent_ingress);
    REQUIRE(f);
    CHECK(hex(f->bytes()) == hex(unhex("24 00 00 00  2e 00 01 03  00 00 00 00  00 00 00 00" // GETTFILTER, DUMP
                                       "00 00 00 00  07 00 00 00  00 00 00 00" // family, ifindex 7, handle
                                       "f2 ff ff ff  00 00 00 00")));           // parent ffff:fff2, info
    auto q = nl::build_qdisc_dump();
    REQUIRE(q);
    CHECK(hex(q->bytes()) == hex(unhex("24 00 00 00  26 00 01 03  00 00 00 00  00 00 00 00" // GETQDISC, DUMP
                                       "00 00 00 00  00 00 00 00  00 00 00 00  00 00 00 00"
                                       "00 00 00 00")));
  }

  TEST_CASE("a filter reply: priority and protocol from tcm_info, the kind") {
    auto r = unhex("2c 00 00 00  2c 00 02 00  00 00 00 00  00 00 00 00" // NEWTFILTER
                   "00 00 00 00  07 00 00 00  0c 0f 00 00  f2 ff ff ff" // ifindex 7, handle 0xf0c
                   "00 03 0c 0f"                                        // info: prio 0xf0c, proto 0x0300
                   "08 00 01 00  62 70 66 00");                         // KIND "bpf"
    auto f = nl::parse_filter(nl::Reply{r});
    REQUIRE(f);
    CHECK(f->handle == 0xf0c);
    CHECK(f->priority == 0xf0c);
    CHECK(f->protocol == 0x0300); // ETH_P_ALL in network order, as tc sends it
    CHECK(f->parent == nl::k_tc_parent_ingress);
    CHECK(f->kind == "bpf");
    CHECK(!nl::parse_filter(nl::Reply{std::vector<std::uint8_t>(r.begin(), r.begin() + 20)}));
  }
}
