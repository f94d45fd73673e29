// Replies as the kernel sends them and as a liar would: every length in a datagram is
// checked before use. Buffers are allocated at their exact size, so that a read past the
// end is an AddressSanitizer report in the sanitize lane, not a silent success.
#include <doctest/doctest.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <initializer_list>
#include <optional>

#include "fouctl/nl/replies.hpp"

using namespace fouctl;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return Bytes(out.begin(), out.end()); // exactly as long as its content
}

Bytes le32(std::uint32_t v) {
  Bytes b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}

Bytes errcode(int negative_errno) { return le32(static_cast<std::uint32_t>(negative_errno)); }

// A netlink header claiming `len` bytes (by default the real length), then the payload.
Bytes nlmsg(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, const Bytes &payload,
            std::optional<std::uint32_t> len = std::nullopt) {
  nlmsghdr h{};
  h.nlmsg_len = len.value_or(static_cast<std::uint32_t>(sizeof h + payload.size()));
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  Bytes b(sizeof h);
  std::memcpy(b.data(), &h, sizeof h);
  return cat({b, payload});
}

// An attribute holding `text` (its NUL only if `nul`), padded to 4 bytes.
Bytes nla_text(std::uint16_t type, const std::string &text, bool nul = true) {
  nlattr a{};
  a.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + text.size() + (nul ? 1 : 0));
  a.nla_type = type;
  Bytes b(NLA_ALIGN(a.nla_len));
  std::memcpy(b.data(), &a, sizeof a);
  std::memcpy(b.data() + NLA_HDRLEN, text.data(), text.size());
  return b;
}

constexpr std::uint32_t k_seq = 7;

// RTM_NEWLINK for ifindex `index`, no attributes.
Bytes newlink(std::uint32_t seq, int index) {
  ifinfomsg ifi{};
  ifi.ifi_index = index;
  Bytes b(sizeof ifi);
  std::memcpy(b.data(), &ifi, sizeof ifi);
  return nlmsg(RTM_NEWLINK, NLM_F_MULTI, seq, b);
}

// The header of the request an NLMSG_ERROR answers (with NLM_F_CAPPED, all that is echoed).
Bytes echoed_header(std::uint32_t len) { return nlmsg(RTM_NEWLINK, NLM_F_REQUEST, k_seq, {}, len); }

} // namespace

TEST_SUITE("nl::replies") {
  TEST_CASE("a dump: data messages until NLMSG_DONE; stale and control messages are skipped") {
    nl::ReplyCollector c(k_seq);
    auto first = cat({newlink(k_seq, 5), newlink(k_seq - 1, 6), nlmsg(NLMSG_NOOP, 0, k_seq, {}),
                      nlmsg(0, 0, k_seq, {}), nlmsg(NLMSG_MIN_TYPE - 1, 0, k_seq, {})});
    auto done = c.add_datagram(first);
    REQUIRE(done);
    CHECK_FALSE(*done);
    auto last = cat({newlink(k_seq, 8), nlmsg(NLMSG_DONE, NLM_F_MULTI, k_seq, le32(0)),
                     newlink(k_seq, 9)}); // nothing after DONE belongs to the answer
    done = c.add_datagram(last);
    REQUIRE(done);
    CHECK(*done);
    auto replies = c.take();
    REQUIRE(replies.size() == 2);
    CHECK(replies[0].type() == RTM_NEWLINK);
    CHECK(replies[0].family_header<ifinfomsg>()->ifi_index == 5);
    CHECK(replies[1].family_header<ifinfomsg>()->ifi_index == 8);
  }

  TEST_CASE("a dump the kernel ended with an error in NLMSG_DONE is an error") {
    nl::ReplyCollector c(k_seq);
    auto done = nlmsg(NLMSG_DONE, NLM_F_MULTI, k_seq, errcode(-ENOBUFS));
    auto r = c.add_datagram(cat({newlink(k_seq, 5), done}));
    REQUIRE_FALSE(r);
    CHECK(r.error().errnum == ENOBUFS);
  }

  TEST_CASE("the ACK of a do request ends it") {
    nl::ReplyCollector c(k_seq);
    auto ack = nlmsg(NLMSG_ERROR, NLM_F_CAPPED, k_seq, cat({errcode(0), echoed_header(32)}));
    auto r = c.add_datagram(ack);
    REQUIRE(r);
    CHECK(*r);
    CHECK(c.replies().empty());
  }

  TEST_CASE("a kernel error carries errno and the extended-ACK text, capped or not") {
    auto tlv = nla_text(NLMSGERR_ATTR_MSG, "Unknown device type");
    SUBCASE("capped: only the request's header is echoed") {
      nl::ReplyCollector c(k_seq);
      auto r = c.add_datagram(nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, k_seq,
                                    cat({errcode(-EOPNOTSUPP), echoed_header(32), tlv})));
      REQUIRE_FALSE(r);
      CHECK(r.error().errnum == EOPNOTSUPP);
      CHECK(r.error().ext_ack == "Unknown device type");
    }
    SUBCASE("not capped: the whole request is echoed before the TLVs") {
      nl::ReplyCollector c(k_seq);
      auto r = c.add_datagram(nlmsg(NLMSG_ERROR, NLM_F_ACK_TLVS, k_seq,
                                    cat({errcode(-EEXIST), echoed_header(24), le32(0xdeadbeef),
                                         le32(0xdeadbeef), tlv})));
      REQUIRE_FALSE(r);
      CHECK(r.error().errnum == EEXIST);
      CHECK(r.error().ext_ack == "Unknown device type");
    }
  }

  TEST_CASE("an NLMSG_ERROR too short for its error code is an error, not a read past it") {
    for (const auto &payload : {Bytes{}, errcode(-EPERM), cat({errcode(-EPERM), le32(0)})}) {
      CAPTURE(payload.size());
      nl::ReplyCollector c(k_seq);
      auto r = c.add_datagram(nlmsg(NLMSG_ERROR, 0, k_seq, payload));
      REQUIRE_FALSE(r);
      CHECK(r.error().errnum == 0);
      CHECK(r.error().message.find("short NLMSG_ERROR") != std::string::npos);
    }
  }

  TEST_CASE("a lying echoed-request length never moves the TLV search out of the message") {
    auto tlv = nla_text(NLMSGERR_ATTR_MSG, "text");
    for (std::uint32_t echoed : {0u, 3u, 15u, 40u, 0x7fffffffu, 0xfffffff0u, 0xffffffffu}) {
      CAPTURE(echoed);
      auto msg = nlmsg(NLMSG_ERROR, NLM_F_ACK_TLVS, k_seq,
                       cat({errcode(-EINVAL), echoed_header(echoed), tlv}));
      CHECK(nl::ext_ack_text(msg).empty());
      nl::ReplyCollector c(k_seq);
      auto r = c.add_datagram(msg);
      REQUIRE_FALSE(r);
      CHECK(r.error().errnum == EINVAL);
      CHECK(r.error().ext_ack.empty());
    }
    // 16 is honest (a header without payload): the text is found.
    CHECK(nl::ext_ack_text(nlmsg(NLMSG_ERROR, NLM_F_ACK_TLVS, k_seq,
                                 cat({errcode(-EINVAL), echoed_header(16), tlv}))) == "text");
  }

  TEST_CASE("ext_ack_text reads within nlmsg_len and within the buffer, whichever is shorter") {
    auto body = cat({errcode(-EINVAL), echoed_header(16), nla_text(NLMSGERR_ATTR_MSG, "text")});
    auto full = nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, k_seq, body);
    CHECK(nl::ext_ack_text(full) == "text");
    // nlmsg_len stops inside the TLV: the attribute is cut, so there is no text.
    auto cut = nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, k_seq, body,
                     static_cast<std::uint32_t>(full.size() - 4));
    CHECK(nl::ext_ack_text(cut).empty());
    // nlmsg_len claims more than the buffer holds.
    auto lying = nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, k_seq, body, 4096);
    CHECK(nl::ext_ack_text(lying) == "text");
    auto truncated = Bytes(lying.begin(), lying.end() - 6);
    CHECK(nl::ext_ack_text(truncated).empty());
    CHECK(nl::ext_ack_text(Bytes(full.begin(), full.begin() + 10)).empty());
    CHECK(nl::ext_ack_text({}).empty());
  }

  TEST_CASE("a TLV string without its NUL ends at the attribute's end") {
    auto tlv = nla_text(NLMSGERR_ATTR_MSG, "abcd", false);
    auto msg = nlmsg(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, k_seq,
                     cat({errcode(-EINVAL), echoed_header(16), tlv}));
    CHECK(nl::ext_ack_text(msg) == "abcd");
  }

  TEST_CASE("an error code outside errno's range still fails, as EPROTO") {
    for (int code : {INT_MIN, -4096, 1, INT_MAX}) {
      CAPTURE(code);
      nl::ReplyCollector c(k_seq);
      auto err = nlmsg(NLMSG_ERROR, NLM_F_CAPPED, k_seq, cat({errcode(code), echoed_header(16)}));
      auto r = c.add_datagram(err);
      REQUIRE_FALSE(r);
      CHECK(r.error().errnum == EPROTO);
    }
  }

  TEST_CASE("a message whose nlmsg_len runs past the datagram, or is below a header, ends it") {
    for (std::uint32_t len : {0u, 8u, 15u, 41u, 4096u, 0xffffffffu}) {
      CAPTURE(len);
      nl::ReplyCollector c(k_seq);
      auto bad = nlmsg(NLMSG_DONE, NLM_F_MULTI, k_seq, le32(0), len);
      auto good = nlmsg(NLMSG_DONE, NLM_F_MULTI, k_seq, le32(0));
      auto r = c.add_datagram(cat({newlink(k_seq, 5), bad, good}));
      REQUIRE(r);
      CHECK_FALSE(*r); // neither the lying DONE nor the one after it counts
      CHECK(c.replies().size() == 1);
    }
    nl::ReplyCollector c(k_seq);
    auto tail = newlink(k_seq, 5);
    CHECK_FALSE(*c.add_datagram(Bytes(tail.begin(), tail.begin() + 15))); // not even a header
    CHECK_FALSE(*c.add_datagram({}));
    CHECK(c.replies().empty());
  }

  TEST_CASE("an NLMSG_DONE without its error code still ends the dump") {
    nl::ReplyCollector c(k_seq);
    auto r = c.add_datagram(nlmsg(NLMSG_DONE, NLM_F_MULTI, k_seq, {}));
    REQUIRE(r);
    CHECK(*r);
  }
}
