#include <doctest/doctest.h>

#include <linux/genetlink.h>

#include "fouctl/nl/genl.hpp"
#include "hex.hpp"

using namespace fouctl;
using test::hex;
using test::unhex;

TEST_SUITE("nl::genl") {
  TEST_CASE("CTRL_CMD_GETFAMILY golden bytes") {
    auto m = nl::build_genl_family_get("fou");
    REQUIRE(m);
    // GENL_ID_CTRL with REQUEST; CTRL_CMD_GETFAMILY version 1; CTRL_ATTR_FAMILY_NAME "fou"
    CHECK(hex(m->bytes()) == hex(unhex("1c 00 00 00  10 00 01 00  00 00 00 00  00 00 00 00"
                                       "03 01 00 00"
                                       "08 00 02 00  66 6f 75 00")));
  }

  TEST_CASE("the family id of a NEWFAMILY reply; short or id-less replies are errors") {
    auto ok = unhex("24 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                    "01 02 00 00"                  // NEWFAMILY, version 2
                    "08 00 02 00  66 6f 75 00"     // FAMILY_NAME "fou"
                    "06 00 01 00  1c 00 00 00");   // FAMILY_ID 0x1c, host order
    auto id = nl::parse_genl_family_id(nl::Reply{ok});
    REQUIRE(id);
    CHECK(*id == 0x1c);

    auto no_id = unhex("1c 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                       "01 02 00 00  08 00 02 00  66 6f 75 00");
    CHECK_FALSE(nl::parse_genl_family_id(nl::Reply{no_id}));
    auto low_id = unhex("18 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00"
                        "01 02 00 00  06 00 01 00  02 00 00 00"); // 2 is NLMSG_ERROR
    CHECK_FALSE(nl::parse_genl_family_id(nl::Reply{low_id}));
    auto short_one = unhex("12 00 00 00  10 00 00 00  00 00 00 00  00 00 00 00  01 02");
    auto r = nl::parse_genl_family_id(nl::Reply{short_one});
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "the kernel sent a short generic netlink controller reply");
  }
}
