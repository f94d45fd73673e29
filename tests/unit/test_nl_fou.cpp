#include <doctest/doctest.h>

#include <linux/fou.h>

#include "fouctl/nl/fou.hpp"
#include "hex.hpp"

using namespace fouctl;
using test::hex;
using test::unhex;

namespace {
nl::Reply as_reply(const nl::Message &m) { return nl::Reply{m.bytes()}; }
} // namespace

TEST_SUITE("nl::fou") {
  TEST_CASE("ADD of a plain direct port: every attribute, ports in network byte order") {
    nl::FouPort p;
    p.port = 2001;
    auto m = nl::build_fou_add(0x1c, p);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("34 00 00 00  1c 00 01 00  00 00 00 00  00 00 00 00"
                                       "01 01 00 00"               // genl: cmd ADD, version 1
                                       "06 00 01 00  07 d1 00 00"  // PORT 2001, big-endian
                                       "05 00 02 00  02 00 00 00"  // AF_INET
                                       "05 00 03 00  04 00 00 00"  // IPPROTO 4 (ipip)
                                       "05 00 04 00  01 00 00 00"  // TYPE direct
                                       )));
    CHECK(p.ip_command("add") == "ip fou add port 2001 ipproto 4");
  }

  TEST_CASE("ADD of a GUE port never sends IPPROTO") {
    nl::FouPort p;
    p.port = 5555;
    p.type = FOU_ENCAP_GUE;
    auto m = nl::build_fou_add(0x1c, p);
    REQUIRE(m);
    auto back = nl::parse_fou(as_reply(*m));
    REQUIRE(back);
    CHECK(back->type == FOU_ENCAP_GUE);
    CHECK(back->ipproto == 0);
    CHECK(m->bytes().size() == 16 + 4 + 8 + 8 + 8);
  }

  TEST_CASE("ADD with local and peer binding, parsed back") {
    nl::FouPort p;
    p.port = 4000;
    p.local = *util::parse_addr("192.0.2.1");
    p.peer = *util::parse_addr("192.0.2.2");
    p.peer_port = 4001;
    p.ifindex = 7;
    auto m = nl::build_fou_add(30, p);
    REQUIRE(m);
    auto bytes = m->bytes();
    // LOCAL_V4 follows AF: type 6, the address as-is (already network order).
    CHECK(hex({bytes.begin() + 36, bytes.begin() + 44}) == hex(unhex("08 00 06 00 c0 00 02 01")));
    // PEER_PORT: type 10, big-endian 4001 = 0x0fa1.
    CHECK(hex({bytes.begin() + 52, bytes.begin() + 60}) == hex(unhex("06 00 0a 00 0f a1 00 00")));
    auto back = nl::parse_fou(as_reply(*m));
    REQUIRE(back);
    CHECK(*back == p);
  }

  TEST_CASE("DEL carries the matching tuple and no TYPE") {
    nl::FouPort p;
    p.port = 2001;
    auto m = nl::build_fou_del(0x1c, p);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("24 00 00 00  1c 00 01 00  00 00 00 00  00 00 00 00"
                                       "02 01 00 00"
                                       "06 00 01 00  07 d1 00 00"
                                       "05 00 02 00  02 00 00 00")));
  }

  TEST_CASE("GET is a dump") {
    auto m = nl::build_fou_dump(0x1c);
    REQUIRE(m);
    CHECK(hex(m->bytes()) == hex(unhex("14 00 00 00  1c 00 01 03  00 00 00 00  00 00 00 00"
                                       "03 01 00 00")));
  }

  TEST_CASE("a reply without PORT is an error, zero addresses read as unset") {
    nl::Reply r{unhex("1c 00 00 00  1c 00 00 00  00 00 00 00  00 00 00 00"
                      "03 01 00 00  05 00 02 00  02 00 00 00")};
    CHECK_FALSE(nl::parse_fou(r));
    nl::Reply z{unhex("2c 00 00 00  1c 00 00 00  00 00 00 00  00 00 00 00"
                      "03 01 00 00  06 00 01 00  13 88 00 00"
                      "08 00 06 00  00 00 00 00  08 00 08 00  00 00 00 00")};
    auto p = nl::parse_fou(z);
    REQUIRE(p);
    CHECK(p->port == 5000);
    CHECK_FALSE(p->local.is_set());
    CHECK_FALSE(p->peer.is_set());
  }

  TEST_CASE("a reply too short for genlmsghdr is refused before any attribute is looked at") {
    // 16 and 19 bytes: no room for the 4-byte genlmsghdr. The second's buffer holds a PORT
    // attribute past its nlmsg_len, which must not be read.
    for (const char *bytes : {"10 00 00 00  1c 00 00 00  00 00 00 00  00 00 00 00",
                              "13 00 00 00  1c 00 00 00  00 00 00 00  00 00 00 00"
                              "03 01 00 00  06 00 01 00  13 88 00 00"}) {
      CAPTURE(bytes);
      auto b = unhex(bytes);
      auto p = nl::parse_fou(nl::Reply{std::vector<std::uint8_t>(b.begin(), b.end())});
      REQUIRE_FALSE(p);
      CHECK(p.error().message == "the kernel sent a short FOU reply");
    }
  }
}
