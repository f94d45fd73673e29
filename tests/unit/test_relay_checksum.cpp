#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fouctl/relay/packet.hpp"
#include "hex.hpp"

using namespace fouctl::relay;
using fouctl::test::unhex;
using Bytes = std::vector<std::uint8_t>;

namespace {

// Packets as a Linux 6.18 sender put them on a veth with tx checksum offload on (captured
// with tcpdump on the sending side, 2026-11-30), with the checksum tcpdump computed.
struct Golden {
  const char *name;
  std::size_t l4;        // offset of the TCP/UDP header
  std::size_t csum;      // offset of the checksum field
  std::uint16_t partial; // what the sender left there
  std::uint16_t correct; // what tcpdump says it should be
  const char *bytes;
};

const Golden k_golden[] = {
    {"tcp4", 20, 36, 0x118e, 0x30af,
     "45000046653140004006c42bc0a8c801c0a8c802afd61b587e5bd10dab9d39a28018003f118e00000101"
     "080ad616e0345de8d43368656c6c6f20666f7563746c20746370340a"},
    {"tcp6", 40, 56, 0xfe3c, 0xb5f4,
     "6000612900320640fd000200000000000000000000000001fd000200000000000000000000000002b542"
     "1b599dd8be437e446aa680180040fe3c00000101080a86083e83673a32e168656c6c6f20666f7563746c"
     "20746370360a"},
    {"udp4", 20, 26, 0x1181, 0xa571,
     "4500002e025b40004011270fc0a8c801c0a8c802e0771b5a001a118168656c6c6f20666f7563746c2075"
     "6470340a"},
    {"udp6", 40, 46, 0xfe2f, 0xb4a8,
     "600d4fb5001a1140fd000200000000000000000000000001fd000200000000000000000000000002e290"
     "1b5b001afe2f68656c6c6f20666f7563746c20756470360a"},
};

std::uint16_t field(const Bytes &p, std::size_t at) { return load_be16(&p[at]); }

} // namespace

TEST_SUITE("relay::checksum") {
  TEST_CASE("a kernel sender's unfinished checksums are completed to the right value") {
    for (const auto &g : k_golden) {
      CAPTURE(g.name);
      Bytes p = unhex(g.bytes);
      REQUIRE_FALSE(check_inner_packet(p).has_value());
      REQUIRE(field(p, g.csum) == g.partial);
      const Bytes before = p;
      CHECK(complete_partial_checksum(p));
      CHECK(field(p, g.csum) == g.correct);
      // Nothing but the two checksum bytes changed.
      for (std::size_t i = 0; i < p.size(); ++i)
        if (i != g.csum && i != g.csum + 1)
          CHECK(p[i] == before[i]);
      // A correct checksum is never touched again.
      const Bytes done = p;
      CHECK_FALSE(complete_partial_checksum(p));
      CHECK(p == done);
    }
  }

  TEST_CASE("any other wrong checksum is left for the receiving stack to drop") {
    for (const auto &g : k_golden) {
      CAPTURE(g.name);
      Bytes p = unhex(g.bytes);
      store_be16(&p[g.csum], static_cast<std::uint16_t>(g.partial + 1));
      const Bytes wrong = p;
      CHECK_FALSE(complete_partial_checksum(p));
      CHECK(p == wrong);
      // A completed packet corrupted on the way keeps its (now wrong) checksum.
      Bytes q = unhex(g.bytes);
      REQUIRE(complete_partial_checksum(q));
      q.back() ^= 0x01;
      const Bytes corrupted = q;
      CHECK_FALSE(complete_partial_checksum(q));
      CHECK(q == corrupted);
    }
  }

  TEST_CASE("fragments, checksum-less UDP and other protocols are not touched") {
    Bytes frag = unhex(k_golden[0].bytes);
    frag[6] |= 0x20; // MF: the first fragment of a larger segment
    const Bytes f = frag;
    CHECK_FALSE(complete_partial_checksum(frag));
    CHECK(frag == f);
    Bytes later = unhex(k_golden[2].bytes);
    later[7] = 0x10; // a non-zero fragment offset
    CHECK_FALSE(complete_partial_checksum(later));
    Bytes nocsum = unhex(k_golden[2].bytes);
    store_be16(&nocsum[26], 0);
    CHECK_FALSE(complete_partial_checksum(nocsum));
    CHECK(field(nocsum, 26) == 0);
    Bytes other = unhex(k_golden[2].bytes);
    other[9] = 1; // ICMP, whose checksum a sender always finishes itself
    CHECK_FALSE(complete_partial_checksum(other));
    Bytes short_tcp = unhex("450000200000400040060000c0a8c801c0a8c802afd61b587e5bd10d");
    CHECK_FALSE(complete_partial_checksum(short_tcp));
  }

  TEST_CASE("an odd-length UDP payload is summed with its padding byte") {
    // 10.0.0.1 -> 10.0.0.2, UDP 1 -> 2, one payload byte; build the partial value the way
    // the kernel does (the folded pseudo-header sum) and check the result verifies.
    Bytes p = unhex("4500001d000040004011000a0a0000010a00000200010002000900007a");
    std::uint32_t pseudo = checksum_add(0, std::span<const std::uint8_t>(p).subspan(12, 8));
    pseudo += 17 + 9;
    store_be16(&p[26], static_cast<std::uint16_t>(~checksum_finish(pseudo)));
    REQUIRE(complete_partial_checksum(p));
    std::uint32_t verify = checksum_add(pseudo, std::span<const std::uint8_t>(p).subspan(20));
    CHECK(checksum_finish(verify) == 0);
  }
}
