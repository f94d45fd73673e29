#include <doctest/doctest.h>

#include "fouctl/util/ip.hpp"

using namespace fouctl::util;

TEST_SUITE("util::ip") {
  TEST_CASE("addresses") {
    CHECK(parse_addr("10.0.2.2")->to_string() == "10.0.2.2");
    CHECK(parse_addr("2001:db8::1")->to_string() == "2001:db8::1");
    CHECK(parse_addr("127.0.0.5")->is_loopback());
    CHECK(parse_addr("::1")->is_loopback());
    CHECK(parse_addr("224.0.0.1")->is_multicast());
    CHECK(parse_addr("0.0.0.0")->is_unspecified());
    CHECK_FALSE(parse_addr("10.1"));
    CHECK_FALSE(parse_addr("10.0.0.256"));
    CHECK_FALSE(parse_addr(""));
    CHECK_FALSE(parse_addr("fe80::1%eth0"));
    CHECK(parse_addr("192.0.2.1")->v4_be() == IpAddr::from_v4_be(parse_addr("192.0.2.1")->v4_be()).v4_be());
  }

  TEST_CASE("prefixes") {
    CHECK(parse_prefix("10.0.2.2", true)->to_string() == "10.0.2.2/32");
    CHECK(parse_prefix("fd00::", true)->to_string() == "fd00::/128");
    CHECK(parse_prefix("10.0.2.0/24", true)->len == 24);
    CHECK_FALSE(parse_prefix("10.0.2.1/24", true));
    CHECK(parse_prefix("10.0.2.1/24", false)->to_string() == "10.0.2.1/24");
    CHECK_FALSE(parse_prefix("10.0.2.0/33", true));
    CHECK_FALSE(parse_prefix("10.0.2.0/", true));
    CHECK_FALSE(parse_prefix("10.0.2.0/2x", true));
    CHECK_FALSE(parse_prefix("10.0.2.0/-1", true));
    CHECK(parse_prefix("fc00::/7", true)->len == 7);
    CHECK_FALSE(parse_prefix("fd00::/7", true)); // host bit 8 is set
  }

  TEST_CASE("contains and overlaps") {
    auto net = *parse_prefix("10.0.2.0/23", true);
    CHECK(net.contains(*parse_addr("10.0.3.255")));
    CHECK_FALSE(net.contains(*parse_addr("10.0.4.0")));
    CHECK_FALSE(net.contains(*parse_addr("fd00::1")));
    CHECK(net.overlaps(*parse_prefix("10.0.3.0/24", true)));
    CHECK(parse_prefix("10.0.3.0/24", true)->overlaps(net));
    CHECK_FALSE(net.overlaps(*parse_prefix("10.0.4.0/24", true)));
    CHECK(parse_prefix("10.0.2.77/20", false)->network().to_string() == "10.0.0.0/20");
  }
}

TEST_CASE("link-local: IPv6 fe80::/10 only") {
  CHECK(fouctl::util::parse_addr("fe80::5efe:c000:206")->is_link_local());
  CHECK(fouctl::util::parse_addr("febf::1")->is_link_local());
  CHECK_FALSE(fouctl::util::parse_addr("fec0::1")->is_link_local());
  CHECK_FALSE(fouctl::util::parse_addr("fd00::1")->is_link_local());
  CHECK_FALSE(fouctl::util::parse_addr("169.254.1.1")->is_link_local());
}
