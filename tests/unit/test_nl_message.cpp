// Reply and AttrTable given messages that lie about their lengths. Buffers are allocated at
// their exact size, so that a read past the end is an AddressSanitizer report in the
// sanitize lane.
#include <doctest/doctest.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "fouctl/nl/message.hpp"
#include "hex.hpp"

using namespace fouctl;
using test::unhex;

namespace {

// A Reply whose buffer ends exactly where its bytes do.
nl::Reply exact(const std::vector<std::uint8_t> &bytes) {
  return nl::Reply{std::vector<std::uint8_t>(bytes.begin(), bytes.end())};
}

std::span<const std::uint8_t> as_span(const std::vector<std::uint8_t> &v) { return v; }

} // namespace

TEST_SUITE("nl::message") {
  TEST_CASE("Reply: a whole message gives its type, family header and attributes") {
    auto r = exact(unhex("28 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                         "00 00 00 00  05 00 00 00  01 00 00 00  00 00 00 00"
                         "08 00 04 00  64 00 00 00")); // IFLA_MTU 100
    CHECK(r.length() == 40);
    CHECK(r.type() == RTM_NEWLINK);
    REQUIRE(r.family_header<ifinfomsg>());
    CHECK(r.family_header<ifinfomsg>()->ifi_index == 5);
    CHECK(r.attrs_after(sizeof(ifinfomsg)).size() == 8);
    nl::AttrTable t(r.attrs_after(sizeof(ifinfomsg)), IFLA_MAX);
    CHECK(t.u32(IFLA_MTU) == 100);
  }

  TEST_CASE("Reply: a header that lies about its length gives no type, header or attributes") {
    const char *lies[] = {
        "24 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00", // claims 36, holds 16
        "0f 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00", // below a header
        "00 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00", // zero
        "ff ff ff ff  10 00 00 00  00 00 00 00  00 00 00 00", // 4 GiB
        "24 00 00 00  10 00",                                 // not even a header
        "",
    };
    for (const char *lie : lies) {
      CAPTURE(lie);
      auto r = exact(unhex(lie));
      CHECK(r.length() == 0);
      CHECK(r.type() == 0);
      CHECK_FALSE(r.family_header<ifinfomsg>());
      CHECK(r.attrs_after(0).empty());
    }
  }

  TEST_CASE("Reply: the family header is read within nlmsg_len, not the buffer") {
    // 32 bytes in the buffer, but the message says it is 16 long: no ifinfomsg in it.
    auto r = exact(unhex("10 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                         "00 00 00 00  05 00 00 00  01 00 00 00  00 00 00 00"));
    CHECK(r.length() == 16);
    CHECK(r.type() == RTM_NEWLINK);
    CHECK_FALSE(r.family_header<ifinfomsg>());
    CHECK_FALSE(r.family_header<rtgenmsg>()); // not even a 1-byte family header
  }

  TEST_CASE("AttrTable: zero-length, short and overlong attributes end the walk") {
    // nla_len 0 would never advance; 2 is below an attribute header; 0x40 runs past the end.
    for (const char *bad :
         {"00 00 03 00  aa aa aa aa", "02 00 03 00  aa aa aa aa", "40 00 03 00  aa aa aa aa"}) {
      CAPTURE(bad);
      auto area = unhex(std::string("08 00 04 00  64 00 00 00  ") + bad);
      std::vector<std::uint8_t> buf(area.begin(), area.end());
      nl::AttrTable t(as_span(buf), IFLA_MAX);
      CHECK(t.u32(IFLA_MTU) == 100); // what came before is kept
      CHECK_FALSE(t.has(IFLA_IFNAME));
    }
  }

  TEST_CASE("AttrTable: short values read as the fallback; unknown types are ignored") {
    auto area = unhex("06 00 04 00  64 00 00 00"  // IFLA_MTU with 2 bytes: too short for u32
                      "05 00 ff 00  01 00 00 00"  // type 255: beyond IFLA_MAX
                      "05 00 03 80  41 00 00 00"  // IFLA_IFNAME "A" with NLA_F_NESTED set
                      "04 00 12 00");             // IFLA_LINKINFO, empty
    std::vector<std::uint8_t> buf(area.begin(), area.end());
    nl::AttrTable t(as_span(buf), IFLA_MAX);
    CHECK(t.has(IFLA_MTU));
    CHECK(t.u32(IFLA_MTU, 1500) == 1500);
    CHECK(t.u16(IFLA_MTU) == 100);
    CHECK_FALSE(t.has(255));
    CHECK(t.str(IFLA_IFNAME) == "A"); // no NUL: ends with the attribute
    CHECK(t.nested(IFLA_LINKINFO, IFLA_INFO_MAX).str(IFLA_INFO_KIND).empty());
    CHECK(t.addr(IFLA_MTU, AF_INET).is_set() == false); // 2 bytes are no IPv4 address
    CHECK(t.be16(IFLA_ADDRESS, 9) == 9);
    CHECK_FALSE(t.has(-1));
  }
}
