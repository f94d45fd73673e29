#pragma once
// The answer to one netlink request, put together from the datagrams the kernel sends back.
// Pure (no socket), so that crafted and fuzzed datagrams exercise exactly the code a real
// reply goes through: nothing in a datagram is trusted, every length is checked before use.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fouctl/nl/message.hpp"

namespace fouctl::nl {

class ReplyCollector {
public:
  // `seq`: the request's sequence number; messages with another one are stale answers to
  // earlier requests and are skipped.
  explicit ReplyCollector(std::uint32_t seq) : m_seq(seq) {}

  // Takes one datagram (one or more netlink messages; its sender must already have been
  // checked to be the kernel). Returns true once the answer is complete: NLMSG_DONE of a
  // dump, or the ACK of a "do" request. A kernel error (NLMSG_ERROR, or NLMSG_DONE carrying
  // one) becomes an Error with errnum and ext_ack; so does an NLMSG_ERROR too short to hold
  // its error code. A message whose nlmsg_len runs past the datagram ends the datagram.
  Result<bool> add_datagram(std::span<const std::uint8_t> datagram);

  // The data messages collected so far (the dump's messages, or a "do" request's answer).
  [[nodiscard]] const std::vector<Reply> &replies() const { return m_replies; }
  std::vector<Reply> take() { return std::move(m_replies); }

private:
  Result<bool> add_message(std::span<const std::uint8_t> msg);

  std::uint32_t m_seq;
  std::vector<Reply> m_replies;
};

// NLMSGERR_ATTR_MSG of an NLMSG_ERROR message `msg` (exactly one message, header first) that
// carries extended-ACK TLVs; empty when there is none or the message does not hold one
// within its bounds (whatever its nlmsg_len and the echoed request's length claim).
std::string ext_ack_text(std::span<const std::uint8_t> msg);

} // namespace fouctl::nl
