#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <vector>

#include "fouctl/relay/packet.hpp"

using namespace fouctl::relay;

namespace {

using Bytes = std::vector<std::uint8_t>;

// An IPv4 UDP packet of `total` bytes with a counting payload, `options` after the base
// header (a multiple of 4), DF as given and `frag` (MF and offset) in the flags field.
Bytes packet(std::size_t total, const Bytes &options = {}, bool df = false, std::uint16_t frag = 0) {
  Bytes p(total);
  const std::size_t hlen = 20 + options.size();
  p[0] = static_cast<std::uint8_t>(0x40 | hlen / 4);
  store_be16(&p[2], static_cast<std::uint16_t>(total));
  store_be16(&p[4], 0x1234); // identification
  store_be16(&p[6], static_cast<std::uint16_t>((df ? 0x4000 : 0) | frag));
  p[8] = 64;
  p[9] = 17;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  std::copy(options.begin(), options.end(), p.begin() + 20);
  for (std::size_t i = hlen; i < total; ++i)
    p[i] = static_cast<std::uint8_t>(i * 7);
  store_be16(&p[10], checksum_finish(checksum_add(0, std::span(p).first(hlen))));
  return p;
}

std::vector<Bytes> fragments(const Bytes &p, std::uint32_t mtu) {
  auto f = Ipv4Fragmenter::start(p, mtu);
  REQUIRE(f);
  std::vector<Bytes> out;
  Bytes buf(70000);
  for (std::size_t n; (n = f->next(buf)) > 0;) {
    REQUIRE(out.size() < 2000);
    out.emplace_back(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

// Checks each fragment as a receiver would and reassembles the data by offset.
Bytes reassemble(const std::vector<Bytes> &frags, std::uint32_t mtu, bool &last_has_mf) {
  std::map<std::size_t, Bytes> pieces;
  for (std::size_t i = 0; i < frags.size(); ++i) {
    const auto &f = frags[i];
    CAPTURE(i);
    REQUIRE(f.size() >= 20);
    CHECK(f.size() <= mtu);
    CHECK_FALSE(check_inner_packet(f).has_value()); // a whole packet: total length == size
    const std::size_t hlen = (f[0] & 0x0f) * 4u;
    CHECK(checksum_finish(checksum_add(0, std::span(f).first(hlen))) == 0);
    CHECK(load_be16(&f[4]) == 0x1234);
    const std::uint16_t flags = load_be16(&f[6]);
    CHECK((flags & 0x4000) == 0);
    const bool mf = (flags & 0x2000) != 0;
    if (i + 1 < frags.size()) {
      CHECK(mf);
      CHECK((f.size() - hlen) % 8 == 0);
    } else {
      last_has_mf = mf;
    }
    pieces[(flags & 0x1fffu) * 8u] = Bytes(f.begin() + static_cast<std::ptrdiff_t>(hlen), f.end());
  }
  Bytes data;
  for (const auto &[offset, piece] : pieces) {
    CHECK(offset == data.size() + (pieces.begin()->first)); // no gap, no overlap
    data.insert(data.end(), piece.begin(), piece.end());
  }
  return data;
}

} // namespace

TEST_CASE("a packet without DF is cut into fragments that reassemble to it") {
  for (std::uint32_t mtu : {68u, 572u, 1000u, 1472u}) {
    for (std::size_t total : {1001u, 1500u, 4000u, 65535u}) {
      if (total <= mtu)
        continue;
      CAPTURE(mtu);
      CAPTURE(total);
      auto p = packet(total);
      auto frags = fragments(p, mtu);
      bool last_mf = true;
      auto data = reassemble(frags, mtu, last_mf);
      CHECK_FALSE(last_mf);
      CHECK(data == Bytes(p.begin() + 20, p.end()));
      CHECK(frags.size() == (total - 20 + ((mtu - 20) & ~7u) - 1) / ((mtu - 20) & ~7u));
    }
  }
}

TEST_CASE("600-byte path: a 1028-byte ping becomes 572 + 476 bytes") {
  auto frags = fragments(packet(1028), 572);
  REQUIRE(frags.size() == 2);
  CHECK(frags[0].size() == 572); // 20 + 552 (69 units of 8)
  CHECK(frags[1].size() == 20 + 1008 - 552);
  CHECK(load_be16(&frags[1][6]) == 552 / 8);
}

TEST_CASE("options: all in the first fragment, only copied ones later") {
  // Record route (7, not copied), 11 bytes, then NOP; security-like type 0x82 (copied), 4
  // bytes. 16 bytes of options: a 36-byte header.
  Bytes options = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x82, 4, 0xaa, 0xbb};
  auto p = packet(900, options);
  auto frags = fragments(p, 300);
  REQUIRE(frags.size() >= 3);
  CHECK((frags[0][0] & 0x0f) == 9);
  CHECK(Bytes(frags[0].begin() + 20, frags[0].begin() + 36) == options);
  for (std::size_t i = 1; i < frags.size(); ++i) {
    CAPTURE(i);
    CHECK((frags[i][0] & 0x0f) == 6); // 20 + 4 bytes of copied option
    CHECK(Bytes(frags[i].begin() + 20, frags[i].begin() + 24) == Bytes{0x82, 4, 0xaa, 0xbb});
  }
  bool last_mf = true;
  CHECK(reassemble(frags, 300, last_mf) == Bytes(p.begin() + 36, p.end()));
}

TEST_CASE("a fragment of a fragment keeps the original offset and MF") {
  // The middle piece of something larger: offset 100 units, MF set.
  auto p = packet(1500, {}, false, 0x2000 | 100);
  auto frags = fragments(p, 600);
  bool last_mf = false;
  reassemble(frags, 600, last_mf);
  CHECK(last_mf); // more of the original follows
  CHECK((load_be16(&frags[0][6]) & 0x1fff) == 100);
}

TEST_CASE("refused: DF, fits already, not IPv4, bad options, no room") {
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1500, {}, true), 1000));
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1000), 1000));
  Bytes v6(1500, 0);
  v6[0] = 0x60;
  CHECK_FALSE(Ipv4Fragmenter::start(v6, 1000));
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1500, {7, 40, 0, 0}), 1000)); // option runs past
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1500, {0x82, 1, 0, 0}), 1000)); // length < 2
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1500), 27)); // 20 + 8 does not fit
  auto lying = packet(1500);
  store_be16(&lying[2], 1400); // total length is not the size
  CHECK_FALSE(Ipv4Fragmenter::start(lying, 1000));
  // Offset near the top: the data would end past 65535.
  CHECK_FALSE(Ipv4Fragmenter::start(packet(1500, {}, false, 8100), 1000));
}
