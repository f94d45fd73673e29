#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "fouctl/relay/icmp.hpp"
#include "fouctl/relay/packet.hpp"

using namespace fouctl::relay;
using Bytes = std::vector<std::uint8_t>;

namespace {

// An independent RFC 1071 sum (not the library's) for verifying checksums.
std::uint16_t ref_sum(const Bytes &b) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < b.size(); i += 2)
    s += (static_cast<std::uint64_t>(b[i]) << 8) + (i + 1 < b.size() ? b[i + 1] : 0);
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s);
}

std::uint16_t be16(const Bytes &b, std::size_t off) {
  return static_cast<std::uint16_t>(b[off] << 8 | b[off + 1]);
}
std::uint32_t be32(const Bytes &b, std::size_t off) {
  return static_cast<std::uint32_t>(be16(b, off)) << 16 | be16(b, off + 2);
}

// IPv4 10.0.0.1 -> 10.0.0.2, DF unless told otherwise, payload bytes counting up.
Bytes ipv4(std::size_t total, std::uint8_t proto = 6, std::uint16_t frag = 0x4000) {
  Bytes p(total);
  for (std::size_t i = 20; i < total; ++i)
    p[i] = static_cast<std::uint8_t>(i);
  p[0] = 0x45;
  store_be16(&p[2], static_cast<std::uint16_t>(total));
  store_be16(&p[6], frag);
  p[8] = 64;
  p[9] = proto;
  const std::uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
  std::copy(addrs, addrs + 8, p.begin() + 12);
  store_be16(&p[10], checksum_finish(checksum_add(0, std::span(p).first(20))));
  return p;
}

// IPv6 2001:db8::1 -> 2001:db8::2 with next header `nh`.
Bytes ipv6(std::size_t total, std::uint8_t nh = 17) {
  Bytes p(total);
  for (std::size_t i = 40; i < total; ++i)
    p[i] = static_cast<std::uint8_t>(i * 7);
  p[0] = 0x60;
  store_be16(&p[4], static_cast<std::uint16_t>(total - 40));
  p[6] = nh;
  p[7] = 64;
  p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = 1;
  p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = 2;
  return p;
}

Bytes reply_to(const Bytes &orig, std::uint32_t mtu, std::size_t room = 2048) {
  Bytes out(room, 0xee);
  out.resize(build_packet_too_big(orig, mtu, out));
  return out;
}

} // namespace

TEST_SUITE("relay::icmp") {

TEST_CASE("IPv4: fragmentation needed, quoting up to 576 bytes") {
  const Bytes orig = ipv4(1500);
  const Bytes r = reply_to(orig, 1400);
  REQUIRE(r.size() == 576);
  CHECK_FALSE(check_inner_packet(r)); // a valid packet to write into the TUN
  CHECK(r[0] == 0x45);
  CHECK(be16(r, 2) == 576);
  CHECK(r[9] == 1); // ICMP
  CHECK(r[8] > 0);
  CHECK(Bytes(r.begin() + 12, r.begin() + 16) == Bytes{10, 0, 0, 2}); // from orig's dst
  CHECK(Bytes(r.begin() + 16, r.begin() + 20) == Bytes{10, 0, 0, 1}); // to orig's src
  CHECK(ref_sum(Bytes(r.begin(), r.begin() + 20)) == 0);            // header checksum
  CHECK(r[20] == 3);
  CHECK(r[21] == 4);
  CHECK(be16(r, 24) == 0); // unused
  CHECK(be16(r, 26) == 1400);
  CHECK(ref_sum(Bytes(r.begin() + 20, r.end())) == 0); // ICMP checksum
  CHECK(Bytes(r.begin() + 28, r.end()) == Bytes(orig.begin(), orig.begin() + 548));
}

TEST_CASE("IPv4: a short original is quoted whole; MTU clamps to 16 bits") {
  const Bytes orig = ipv4(60, 17);
  Bytes r = reply_to(orig, 40);
  REQUIRE(r.size() == 28 + 60);
  CHECK(Bytes(r.begin() + 28, r.end()) == orig);
  CHECK(ref_sum(Bytes(r.begin() + 20, r.end())) == 0);
  r = reply_to(orig, 100000);
  REQUIRE(r.size() == 88);
  CHECK(be16(r, 26) == 65535);
}

TEST_CASE("IPv4: the reply is cut to the buffer, never below header + 8 bytes") {
  const Bytes orig = ipv4(1500);
  CHECK(reply_to(orig, 1400, 100).size() == 100);
  CHECK(reply_to(orig, 1400, 28 + 28).size() == 56);
  CHECK(reply_to(orig, 1400, 28 + 27).empty());
}

TEST_CASE("IPv4: no reply without DF, to later fragments, to ICMP errors, to odd addresses") {
  CHECK(reply_to(ipv4(1500, 6, 0x0000), 1400).empty());  // no DF
  CHECK(reply_to(ipv4(1500, 6, 0x2000), 1400).empty());  // MF without DF
  CHECK(reply_to(ipv4(1500, 6, 0x40b9), 1400).empty());  // DF, offset 185
  CHECK_FALSE(reply_to(ipv4(1500, 6, 0x6000), 1400).empty()); // first fragment, DF

  Bytes err = ipv4(1500, 1);
  err[20] = 3; // an ICMP destination unreachable
  CHECK(reply_to(err, 1400).empty());
  err[20] = 11; // time exceeded
  CHECK(reply_to(err, 1400).empty());
  err[20] = 8; // echo request: answered
  CHECK_FALSE(reply_to(err, 1400).empty());

  Bytes mcast = ipv4(1500);
  mcast[16] = 239;
  CHECK(reply_to(mcast, 1400).empty());
  Bytes bcast = ipv4(1500);
  std::fill(bcast.begin() + 16, bcast.begin() + 20, 0xff);
  CHECK(reply_to(bcast, 1400).empty());
  Bytes unspec = ipv4(1500);
  std::fill(unspec.begin() + 12, unspec.begin() + 16, 0);
  CHECK(reply_to(unspec, 1400).empty());
}

TEST_CASE("IPv6: packet too big, quoting up to 1280 bytes, pseudo-header checksum") {
  const Bytes orig = ipv6(2000);
  const Bytes r = reply_to(orig, 1280);
  REQUIRE(r.size() == 1280);
  CHECK_FALSE(check_inner_packet(r));
  CHECK((r[0] >> 4) == 6);
  CHECK(be16(r, 4) == 1240);
  CHECK(r[6] == 58);
  CHECK(Bytes(r.begin() + 8, r.begin() + 24) == Bytes(orig.begin() + 24, orig.begin() + 40));
  CHECK(Bytes(r.begin() + 24, r.begin() + 40) == Bytes(orig.begin() + 8, orig.begin() + 24));
  CHECK(r[40] == 2);
  CHECK(r[41] == 0);
  CHECK(be32(r, 44) == 1280);
  CHECK(Bytes(r.begin() + 48, r.end()) == Bytes(orig.begin(), orig.begin() + 1232));

  // RFC 8200 8.1: src, dst, 32-bit length, 3 zero bytes, next header 58, then the message.
  Bytes pseudo(r.begin() + 8, r.begin() + 40);
  const std::uint32_t len = 1240;
  for (int shift = 24; shift >= 0; shift -= 8)
    pseudo.push_back(static_cast<std::uint8_t>(len >> shift));
  pseudo.insert(pseudo.end(), {0, 0, 0, 58});
  pseudo.insert(pseudo.end(), r.begin() + 40, r.end());
  CHECK(ref_sum(pseudo) == 0);

  CHECK(reply_to(ipv6(1500), 100000).size() == 1280);
  CHECK(be32(reply_to(ipv6(1500), 100000), 44) == 100000); // 32-bit MTU field
  CHECK(reply_to(ipv6(200), 150).size() == 48 + 200);
}

TEST_CASE("IPv6: no reply to ICMPv6 errors, later fragments, multicast, unspecified") {
  Bytes err = ipv6(1500, 58);
  err[40] = 1; // destination unreachable
  CHECK(reply_to(err, 1280).empty());
  err[40] = 2; // packet too big
  CHECK(reply_to(err, 1280).empty());
  err[40] = 128; // echo request: answered
  CHECK_FALSE(reply_to(err, 1280).empty());

  // Hop-by-hop options (8 bytes) then an ICMPv6 error: the walk must find it.
  Bytes hbh = ipv6(1500, 0);
  hbh[40] = 58;
  hbh[41] = 0;
  hbh[48] = 3; // time exceeded
  CHECK(reply_to(hbh, 1280).empty());
  hbh[48] = 129; // echo reply
  CHECK_FALSE(reply_to(hbh, 1280).empty());

  Bytes frag = ipv6(1500, 44);
  frag[40] = 17;
  store_be16(&frag[42], 0x0001); // offset 0, M set: first fragment
  CHECK_FALSE(reply_to(frag, 1280).empty());
  store_be16(&frag[42], 0x0b91); // offset 370 (8-byte units)
  CHECK(reply_to(frag, 1280).empty());

  Bytes mcast = ipv6(1500);
  mcast[24] = 0xff;
  CHECK(reply_to(mcast, 1280).empty());
  Bytes unspec = ipv6(1500);
  std::fill(unspec.begin() + 8, unspec.begin() + 24, 0);
  CHECK(reply_to(unspec, 1280).empty());
}

TEST_CASE("garbage gets no reply") {
  CHECK(reply_to({}, 1280).empty());
  CHECK(reply_to(Bytes(19, 0x45), 1280).empty());
  CHECK(reply_to(Bytes(39, 0x60), 1280).empty());
  CHECK(reply_to(Bytes(100, 0x50), 1280).empty());
  Bytes bad_ihl = ipv4(100);
  bad_ihl[0] = 0x43; // IHL 12 bytes

  CHECK(reply_to(bad_ihl, 1280).empty());
  Bytes icmp_cut = ipv4(20, 1); // ICMP with no ICMP header: cannot tell, so no reply
  CHECK(reply_to(icmp_cut, 10).empty());
}

} // TEST_SUITE
