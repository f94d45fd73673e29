// The relay's per-packet code on any bytes: inner-packet validation (what reaches the TUN
// from the network), tun_pi and GUE framing both ways, and the ICMP "packet too big" error
// it writes back into the TUN (relay/packet.hpp, relay/icmp.hpp).
//
// Input: MTU (4 bytes, big-endian), the size of the reply buffer (2 bytes, big-endian,
// taken modulo k_icmp_max_reply + 1), then the packet. Seeds are real packets with a prefix.
//
// Properties: a tun_pi or GUE header added is stripped again to the same packet, and
// strip_gue on any bytes returns a piece at their end that starts with the IP version its
// header names, or all of them only as a bare IP packet (GUE version 1); an ICMP error
// fits its buffer and its RFC limit, is a packet the relay itself would accept, carries
// correct checksums, and is never answered with another error; fragments of an IPv4 packet
// without DF (relay/fragment.cpp) fit the MTU, are whole packets with correct header
// checksums, and their data, placed by offset, is the original's exactly.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>

#include "check.hpp"
#include "fouctl/relay/icmp.hpp"
#include "fouctl/relay/packet.hpp"

using namespace fouctl::relay;

namespace {

constexpr std::size_t k_prefix = 6;

// A heap buffer of exactly `n` bytes, so that AddressSanitizer catches a write one past it.
struct Buffer {
  explicit Buffer(std::size_t n) : bytes(std::make_unique<std::uint8_t[]>(n)), size(n) {}
  std::unique_ptr<std::uint8_t[]> bytes;
  std::size_t size;
  [[nodiscard]] std::span<std::uint8_t> span() const { return {bytes.get(), size}; }
};

std::uint32_t sum_of(std::span<const std::uint8_t> s) { return checksum_add(0, s); }

void check_reply(std::span<const std::uint8_t> orig, std::span<const std::uint8_t> reply) {
  FUZZ_CHECK(!check_inner_packet(reply)); // well-formed: the TUN gets a whole packet
  FUZZ_CHECK(ip_version(reply) == ip_version(orig));
  if (ip_version(reply) == 4) {
    FUZZ_CHECK(reply.size() <= k_icmp4_max_reply);
    FUZZ_CHECK(checksum_finish(sum_of(reply.first(20))) == 0);      // IPv4 header
    FUZZ_CHECK(checksum_finish(sum_of(reply.subspan(20))) == 0);    // ICMP message
  } else {
    FUZZ_CHECK(reply.size() <= k_icmp6_max_reply);
    // ICMPv6 checksum covers a pseudo-header: addresses, upper-layer length, next header.
    std::uint8_t pseudo[8] = {};
    store_be32(pseudo, static_cast<std::uint32_t>(reply.size() - 40));
    pseudo[7] = 58;
    std::uint32_t sum = checksum_add(0, reply.subspan(8, 32));
    sum = checksum_add(sum, pseudo);
    FUZZ_CHECK(checksum_finish(checksum_add(sum, reply.subspan(40))) == 0);
  }
  Buffer again(k_icmp_max_reply);
  FUZZ_CHECK(build_packet_too_big(reply, 68, again.span()) == 0); // no error for an error
}

void check_fragments(std::span<const std::uint8_t> pkt, std::uint32_t mtu) {
  auto fragmenter = Ipv4Fragmenter::start(pkt, mtu);
  if (!fragmenter)
    return;
  FUZZ_CHECK(pkt.size() > mtu && mtu <= 65535);
  const std::size_t hlen = (pkt[0] & 0x0f) * 4u;
  const std::size_t base = (load_be16(&pkt[6]) & 0x1fffu) * 8u;
  Buffer out(mtu); // exactly the MTU: a longer fragment would overflow it
  std::size_t expect = base; // where the next fragment's data must start
  bool last_mf = false;
  for (int i = 0;; ++i) {
    FUZZ_CHECK(i <= 8192); // an offset unit per fragment at most
    std::size_t n = fragmenter->next(out.span());
    if (n == 0)
      break;
    auto f = out.span().first(n);
    FUZZ_CHECK(!check_inner_packet(f));
    const std::size_t fh = (f[0] & 0x0f) * 4u;
    FUZZ_CHECK(checksum_finish(checksum_add(0, f.first(fh))) == 0);
    const std::uint16_t flags = load_be16(&f[6]);
    FUZZ_CHECK((flags & 0x4000) == 0);
    FUZZ_CHECK((flags & 0x1fffu) * 8u == expect);
    FUZZ_CHECK(std::equal(f.begin() + static_cast<std::ptrdiff_t>(fh), f.end(),
                          pkt.begin() + static_cast<std::ptrdiff_t>(hlen + expect - base)));
    last_mf = (flags & 0x2000) != 0;
    expect += n - fh;
    if (expect != base + pkt.size() - hlen)
      FUZZ_CHECK(last_mf && (n - fh) % 8 == 0); // not the last: MF, 8-byte multiple
  }
  FUZZ_CHECK(expect == base + pkt.size() - hlen);
  FUZZ_CHECK(last_mf == ((load_be16(&pkt[6]) & 0x2000) != 0));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size < k_prefix)
    return 0;
  const std::uint32_t mtu = std::uint32_t{load_be16(data)} << 16 | load_be16(data + 2);
  const std::size_t out_len = load_be16(data + 4) % (k_icmp_max_reply + 1);
  Buffer pkt_buf(size - k_prefix);
  std::copy(data + k_prefix, data + size, pkt_buf.bytes.get());
  std::span<const std::uint8_t> pkt = pkt_buf.span();

  (void)check_inner_packet(pkt);

  Buffer framed(pkt.size() + k_tun_pi_len);
  if (std::size_t n = add_tun_pi(pkt, framed.span()); n != 0) {
    FUZZ_CHECK(n == pkt.size() + k_tun_pi_len);
    auto back = strip_tun_pi(framed.span().first(n));
    FUZZ_CHECK(back && back->size() == pkt.size());
    FUZZ_CHECK(std::equal(back->begin(), back->end(), pkt.begin()));
  }
  if (auto inner = strip_tun_pi(pkt))
    (void)check_inner_packet(*inner);

  Buffer gue_framed(pkt.size() + k_gue_len);
  if (std::size_t n = add_gue(pkt, gue_framed.span()); n != 0) {
    FUZZ_CHECK(n == pkt.size() + k_gue_len);
    auto back = strip_gue(gue_framed.span().first(n));
    FUZZ_CHECK(back && back->size() == pkt.size());
    FUZZ_CHECK(back->data() == gue_framed.bytes.get() + k_gue_len);
    FUZZ_CHECK(std::equal(back->begin(), back->end(), pkt.begin()));
  }
  if (auto inner = strip_gue(pkt)) {
    // A suffix of the payload: never past its end, never a copy.
    FUZZ_CHECK(inner->data() >= pkt.data() && inner->size() <= pkt.size() &&
               inner->data() + inner->size() == pkt.data() + pkt.size());
    const unsigned version = ip_version(*inner);
    const std::size_t header_len = pkt.size() - inner->size();
    FUZZ_CHECK(version == 4 || version == 6);
    if (header_len == 0) {
      FUZZ_CHECK(pkt.size() >= k_gue_len && pkt[0] >> 6 == 1); // GUE version 1: a bare packet
    } else { // version 0, C clear, flags 0, hlen words skipped, the proto names the version
      FUZZ_CHECK(pkt[0] >> 5 == 0 && load_be16(&pkt[2]) == 0);
      FUZZ_CHECK(header_len == k_gue_len + (pkt[0] & 0x1fu) * 4);
      FUZZ_CHECK(pkt[1] == (version == 4 ? k_ipproto_ipip : k_ipproto_ipv6));
    }
    (void)check_inner_packet(*inner);
  }

  check_fragments(pkt, mtu);

  Buffer out(out_len);
  std::size_t n = build_packet_too_big(pkt, mtu, out.span());
  FUZZ_CHECK(n <= out_len);
  if (n != 0)
    check_reply(pkt, out.span().first(n));
  return 0;
}
