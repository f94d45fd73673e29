// Netlink replies on any bytes, through the code a real reply goes through after the
// socket has checked that the kernel sent it: ReplyCollector (messages, NLMSG_ERROR and
// its extended ACK, NLMSG_DONE), then every reply parser (link, address, route, FOU port,
// generic netlink family) on every message, and on the raw input too, whose lengths need
// not agree with anything.
//
// Input: one datagram. The request's sequence number is taken to be the first message's,
// so that recorded kernel datagrams (the seeds) are answers, whatever seq they carried.
//
// Properties: the collector hands out only whole messages; parsed values can be printed.
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "check.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/nl/addr.hpp"
#include "fouctl/nl/fou.hpp"
#include "fouctl/nl/genl.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/nl/replies.hpp"
#include "fouctl/nl/route.hpp"

using namespace fouctl;

namespace {

void parse_all(const nl::Reply &r) {
  if (auto l = nl::parse_link(r))
    (void)kind::of_link(*l);
  if (auto a = nl::parse_addr(r))
    (void)a->prefix.to_string();
  if (auto rt = nl::parse_route(r))
    (void)rt->dst.to_string();
  if (auto p = nl::parse_fou(r))
    (void)p->ip_command("add");
  (void)nl::parse_genl_family_id(r);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // An exact-size copy: the fuzzer's own buffer may be followed by readable bytes.
  std::vector<std::uint8_t> datagram(data, data + size);
  std::uint32_t seq = 0;
  if (size >= sizeof(nlmsghdr))
    std::memcpy(&seq, data + offsetof(nlmsghdr, nlmsg_seq), sizeof seq);

  nl::ReplyCollector collector(seq);
  auto done = collector.add_datagram(datagram);
  if (!done)
    (void)done.error().describe();
  for (const auto &r : collector.replies()) {
    FUZZ_CHECK(r.length() == r.data.size());
    FUZZ_CHECK(r.type() >= NLMSG_MIN_TYPE);
    parse_all(r);
  }
  (void)nl::ext_ack_text(datagram);
  parse_all(nl::Reply{std::move(datagram)});
  return 0;
}
