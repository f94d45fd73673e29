#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "fouctl/relay/counters.hpp"
#include "fouctl/relay/packet.hpp"

using namespace fouctl::relay;
using Bytes = std::vector<std::uint8_t>;

namespace {

// A minimal IPv4 packet of `total` bytes: IHL `ihl`, total length field = total.
Bytes ipv4(std::size_t total, std::uint8_t ihl = 5) {
  Bytes p(total, 0xab);
  p[0] = static_cast<std::uint8_t>(0x40 | ihl);
  store_be16(&p[2], static_cast<std::uint16_t>(total));
  return p;
}

// An IPv6 packet of `total` bytes with payload length = total - 40.
Bytes ipv6(std::size_t total) {
  Bytes p(total, 0xcd);
  p[0] = 0x60;
  store_be16(&p[4], static_cast<std::uint16_t>(total - 40));
  return p;
}

bool ok(const Bytes &p) { return !check_inner_packet(p).has_value(); }
bool malformed(const Bytes &p) { return check_inner_packet(p) == DropReason::malformed; }

// A GUE payload: the 4 header bytes, `options` bytes of optional fields, then `pkt`.
Bytes gue(std::uint8_t b0, std::uint8_t proto, std::uint16_t flags, const Bytes &pkt,
          std::size_t options = 0) {
  Bytes p{b0, proto, 0, 0};
  store_be16(&p[2], flags);
  p.insert(p.end(), options, 0xee);
  p.insert(p.end(), pkt.begin(), pkt.end());
  return p;
}

bool strips_to(const Bytes &payload, const Bytes &pkt) {
  auto inner = strip_gue(payload);
  return inner && Bytes(inner->begin(), inner->end()) == pkt;
}

} // namespace

TEST_SUITE("relay::packet") {

TEST_CASE("well-formed IPv4 and IPv6 packets are accepted") {
  CHECK(ok(ipv4(20)));
  CHECK(ok(ipv4(84)));
  CHECK(ok(ipv4(24, 6))); // one option word
  CHECK(ok(ipv4(60, 15)));
  CHECK(ok(ipv4(65535)));
  CHECK(ok(ipv6(40)));
  CHECK(ok(ipv6(1280)));
  CHECK(ok(ipv6(65535 + 40)));
}

TEST_CASE("malformed packets are refused") {
  CHECK(malformed({}));
  CHECK(malformed({0x45}));
  CHECK(malformed(Bytes(40, 0x00))); // version 0
  Bytes v5 = ipv4(40);
  v5[0] = 0x55;
  CHECK(malformed(v5));

  SUBCASE("IPv4") {
    Bytes short_hdr = ipv4(20);
    short_hdr.pop_back(); // 19 bytes, total length still says 20
    CHECK(malformed(short_hdr));
    CHECK(malformed(ipv4(40, 4)));  // IHL < 5
    CHECK(malformed(ipv4(40, 11))); // IHL*4 = 44 > 40
    Bytes trailing = ipv4(60);
    store_be16(&trailing[2], 59); // one byte after the packet
    CHECK(malformed(trailing));
    Bytes truncated = ipv4(60);
    store_be16(&truncated[2], 61);
    CHECK(malformed(truncated));
    Bytes zero_len = ipv4(20);
    store_be16(&zero_len[2], 0);
    CHECK(malformed(zero_len));
  }
  SUBCASE("IPv6") {
    Bytes short_hdr = ipv6(40);
    short_hdr.pop_back();
    CHECK(malformed(short_hdr));
    Bytes longer = ipv6(100);
    store_be16(&longer[4], 59);
    CHECK(malformed(longer));
    Bytes shorter = ipv6(100);
    store_be16(&shorter[4], 61);
    CHECK(malformed(shorter));
    Bytes jumbo = ipv6(100);
    store_be16(&jumbo[4], 0); // jumbogram payload length: not carried by FOU
    CHECK(malformed(jumbo));
  }
}

TEST_CASE("tun_pi header carries ETH_P_IP / ETH_P_IPV6 in network order") {
  CHECK(framing_overhead(Framing::raw) == 0);
  CHECK(framing_overhead(Framing::tun_pi) == 4);

  auto h4 = tun_pi_header(ipv4(20));
  REQUIRE(h4);
  CHECK(*h4 == std::array<std::uint8_t, 4>{0x00, 0x00, 0x08, 0x00});
  auto h6 = tun_pi_header(ipv6(40));
  REQUIRE(h6);
  CHECK(*h6 == std::array<std::uint8_t, 4>{0x00, 0x00, 0x86, 0xdd});
  CHECK_FALSE(tun_pi_header({}));
  CHECK_FALSE(tun_pi_header(Bytes{0x75, 0, 0, 0}));
}

TEST_CASE("add_tun_pi then strip_tun_pi round-trips") {
  for (const Bytes &pkt : {ipv4(84), ipv6(104)}) {
    Bytes framed(pkt.size() + 4);
    REQUIRE(add_tun_pi(pkt, framed) == pkt.size() + 4);
    CHECK(framed[2] == (pkt[0] >> 4 == 4 ? 0x08 : 0x86));
    CHECK(Bytes(framed.begin() + 4, framed.end()) == pkt);
    auto inner = strip_tun_pi(framed);
    REQUIRE(inner);
    CHECK(Bytes(inner->begin(), inner->end()) == pkt);
  }
  Bytes too_small(10);
  CHECK(add_tun_pi(ipv4(20), too_small) == 0);
  Bytes out(64);
  CHECK(add_tun_pi(Bytes{0x00, 1, 2}, out) == 0); // no IP version
}

TEST_CASE("strip_tun_pi rejects short payloads and mismatched protocols") {
  CHECK_FALSE(strip_tun_pi(Bytes{}));
  CHECK_FALSE(strip_tun_pi(Bytes{0x00, 0x00, 0x08}));
  Bytes header_only{0x00, 0x00, 0x08, 0x00}; // nothing after the header: no version
  CHECK_FALSE(strip_tun_pi(header_only));

  Bytes v4 = ipv4(20);
  Bytes wrong{0x00, 0x00, 0x86, 0xdd}; // says IPv6, carries IPv4
  wrong.insert(wrong.end(), v4.begin(), v4.end());
  CHECK_FALSE(strip_tun_pi(wrong));
  wrong[2] = 0x08;
  wrong[3] = 0x06; // ETH_P_ARP
  CHECK_FALSE(strip_tun_pi(wrong));
  wrong[3] = 0x00;
  CHECK(strip_tun_pi(wrong));
  wrong[0] = 0x00;
  wrong[1] = 0x01; // TUN_PKT_STRIP flag: ignored here, the length check catches truncation
  CHECK(strip_tun_pi(wrong));
}

TEST_CASE("GUE header is version 0, hlen 0, the inner IP protocol, flags 0") {
  CHECK(framing_overhead(Framing::gue) == 4);
  auto h4 = gue_header(ipv4(20));
  REQUIRE(h4);
  CHECK(*h4 == std::array<std::uint8_t, 4>{0x00, 0x04, 0x00, 0x00}); // IPPROTO_IPIP
  auto h6 = gue_header(ipv6(40));
  REQUIRE(h6);
  CHECK(*h6 == std::array<std::uint8_t, 4>{0x00, 0x29, 0x00, 0x00}); // IPPROTO_IPV6 = 41
  CHECK_FALSE(gue_header({}));
  CHECK_FALSE(gue_header(Bytes{0x55, 0, 0, 0}));
}

TEST_CASE("add_gue then strip_gue round-trips") {
  for (const Bytes &pkt : {ipv4(84), ipv6(104)}) {
    Bytes framed(pkt.size() + 4);
    REQUIRE(add_gue(pkt, framed) == pkt.size() + 4);
    CHECK(framed[0] == 0x00);
    CHECK(framed[1] == (pkt[0] >> 4 == 4 ? 4 : 41));
    CHECK(Bytes(framed.begin() + 4, framed.end()) == pkt);
    CHECK(strips_to(framed, pkt));
  }
  Bytes too_small(23);
  CHECK(add_gue(ipv4(20), too_small) == 0);
  Bytes out(64);
  CHECK(add_gue(Bytes{0x00, 1, 2}, out) == 0); // no IP version
}

TEST_CASE("strip_gue accepts what the kernel's GUE port accepts") {
  const Bytes v4 = ipv4(20), v6 = ipv6(40);
  CHECK(strips_to(gue(0x00, 4, 0, v4), v4));
  CHECK(strips_to(gue(0x00, 41, 0, v6), v6));
  // Version 1: the payload is a bare IP packet (version nibbles 4 and 6 start with bits 01).
  CHECK(strips_to(v4, v4));
  CHECK(strips_to(v6, v6));
  // hlen words without flags are optional fields no flag defines: skipped, as the kernel does.
  CHECK(strips_to(gue(0x01, 4, 0, v4, 4), v4));
  CHECK(strips_to(gue(0x1f, 41, 0, v6, 124), v6));
}

TEST_CASE("strip_gue rejects what the kernel's GUE port drops") {
  const Bytes v4 = ipv4(20), v6 = ipv6(40);
  SUBCASE("short payloads") {
    CHECK_FALSE(strip_gue(Bytes{}));
    CHECK_FALSE(strip_gue(Bytes{0x00, 0x04, 0x00}));
    CHECK_FALSE(strip_gue(Bytes{0x45, 0x00, 0x00})); // version 1, shorter than a GUE header
    CHECK_FALSE(strip_gue(Bytes{0x00, 0x04, 0x00, 0x00})); // header only: no IP version after it
  }
  SUBCASE("control messages") {
    CHECK_FALSE(strip_gue(gue(0x20, 4, 0, v4)));
    CHECK_FALSE(strip_gue(gue(0x21, 4, 0, v4, 4)));
  }
  SUBCASE("flags") {
    CHECK_FALSE(strip_gue(gue(0x01, 4, 0x0001, v4, 4))); // GUE_FLAG_PRIV: remote checksum offload
    CHECK_FALSE(strip_gue(gue(0x00, 4, 0x8000, v4)));
    CHECK_FALSE(strip_gue(gue(0x00, 41, 0x0100, v6)));
  }
  SUBCASE("hlen past the end") {
    CHECK_FALSE(strip_gue(gue(0x01, 4, 0, {}, 3)));    // 7 of 8 header bytes
    CHECK_FALSE(strip_gue(gue(0x1f, 4, 0, {}, 120)));  // 124 of 128
    // hlen swallowing the packet: what is left has no IP version that matches.
    CHECK_FALSE(strip_gue(gue(0x05, 4, 0, v4)));
  }
  SUBCASE("protocol and IP version disagree") {
    CHECK_FALSE(strip_gue(gue(0x00, 41, 0, v4)));
    CHECK_FALSE(strip_gue(gue(0x00, 4, 0, v6)));
    CHECK_FALSE(strip_gue(gue(0x00, 47, 0, v4))); // GRE
    CHECK_FALSE(strip_gue(gue(0x00, 0, 0, v4)));
    Bytes v5 = v4;
    v5[0] = 0x55;
    CHECK_FALSE(strip_gue(gue(0x00, 4, 0, v5)));
  }
  SUBCASE("version 1 that is not IPv4 or IPv6") {
    Bytes v5 = v4, v7 = v6;
    v5[0] = 0x55; // 01 01...: version 1 by its top bits, IP version 5
    v7[0] = 0x70;
    CHECK_FALSE(strip_gue(v5));
    CHECK_FALSE(strip_gue(v7));
  }
  SUBCASE("versions 2 and 3") {
    CHECK_FALSE(strip_gue(gue(0x80, 4, 0, v4)));
    CHECK_FALSE(strip_gue(gue(0xc0, 4, 0, v4)));
    Bytes v8 = v4, v12 = v4;
    v8[0] = 0x85;
    v12[0] = 0xc5;
    CHECK_FALSE(strip_gue(v8));
    CHECK_FALSE(strip_gue(v12));
  }
}

TEST_CASE("write_framing and strip_framing dispatch on the framing") {
  const Bytes v4 = ipv4(20), v6 = ipv6(40);
  std::array<std::uint8_t, 4> hdr{0xff, 0xff, 0xff, 0xff};
  CHECK(write_framing(Framing::raw, v4, std::span(hdr).first(0)));
  CHECK(hdr == std::array<std::uint8_t, 4>{0xff, 0xff, 0xff, 0xff}); // raw writes nothing
  REQUIRE(write_framing(Framing::tun_pi, v6, hdr));
  CHECK(hdr == std::array<std::uint8_t, 4>{0x00, 0x00, 0x86, 0xdd});
  REQUIRE(write_framing(Framing::gue, v6, hdr));
  CHECK(hdr == std::array<std::uint8_t, 4>{0x00, 0x29, 0x00, 0x00});
  CHECK_FALSE(write_framing(Framing::gue, v4, std::span(hdr).first(3))); // too small
  CHECK_FALSE(write_framing(Framing::gue, Bytes{0x00, 1}, hdr));          // no IP version
  CHECK_FALSE(write_framing(Framing::tun_pi, Bytes{}, hdr));

  const Bytes garbage{0x12, 0x34, 0x56, 0x78, 0x9a};
  auto raw = strip_framing(Framing::raw, garbage); // raw: the payload itself, checked later
  REQUIRE(raw);
  CHECK(raw->data() == garbage.data());
  CHECK(raw->size() == garbage.size());
  CHECK_FALSE(strip_framing(Framing::tun_pi, garbage));
  CHECK_FALSE(strip_framing(Framing::gue, garbage));
  const Bytes framed = gue(0x00, 4, 0, v4);
  auto inner = strip_framing(Framing::gue, framed);
  REQUIRE(inner);
  CHECK(inner->data() == framed.data() + 4);
  CHECK(Bytes(inner->begin(), inner->end()) == v4);
  CHECK_FALSE(strip_framing(Framing::tun_pi, framed)); // a GUE header is not a tun_pi header
}

TEST_CASE("Internet checksum matches RFC 1071's example") {
  // RFC 1071 section 3: these bytes sum to 0xddf2, so the checksum is ~0xddf2 = 0x220d.
  const Bytes data{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(checksum_finish(checksum_add(0, data)) == 0x220d);
  // Split into pieces of even length, the sum is the same.
  std::uint32_t sum = checksum_add(0, std::span(data).first(2));
  sum = checksum_add(sum, std::span(data).subspan(2));
  CHECK(checksum_finish(sum) == 0x220d);
  // Odd length: the last byte is padded with zero.
  const auto odd = static_cast<std::uint16_t>(~(0x1234 + 0x5600));
  CHECK(checksum_finish(checksum_add(0, Bytes{0x12, 0x34, 0x56})) == odd);
  // A message holding its own checksum sums to zero.
  Bytes with_sum = data;
  with_sum.push_back(0x22);
  with_sum.push_back(0x0d);
  CHECK(checksum_finish(checksum_add(0, with_sum)) == 0);
}

} // TEST_SUITE

TEST_SUITE("relay::counters") {

TEST_CASE("drop reasons have stable names") {
  CHECK(std::string(to_string(DropReason::foreign_source)) == "foreign_source");
  CHECK(std::string(to_string(DropReason::malformed)) == "malformed");
  CHECK(std::string(to_string(DropReason::too_big)) == "too_big");
  CHECK(std::string(to_string(DropReason::tun_write)) == "tun_write");
  CHECK(std::string(to_string(DropReason::udp_send)) == "udp_send");
}

TEST_CASE("bump and snapshot") {
  Counters c;
  bump(c.rx_packets);
  bump(c.rx_csum_completed, 3);
  bump(c.rx_bytes, 84);
  bump(c.drop(DropReason::malformed), 2);
  bump(c.drop(DropReason::udp_send));
  auto s = snapshot(c);
  CHECK(s.rx_packets == 1);
  CHECK(s.rx_bytes == 84);
  CHECK(s.rx_csum_completed == 3);
  CHECK(s.tx_packets == 0);
  CHECK(s.drop(DropReason::malformed) == 2);
  CHECK(s.drop(DropReason::foreign_source) == 0);
  CHECK(s.total_drops() == 3);
}

} // TEST_SUITE
