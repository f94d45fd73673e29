// Socket::request against this machine's kernel: answers are taken only from the kernel.
// Unprivileged, except the spoofing case, which needs CAP_NET_ADMIN to send to another
// socket's port id and is skipped, saying why, without it.
#include <doctest/doctest.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "fouctl/nl/link.hpp"
#include "fouctl/nl/socket.hpp"
#include "fouctl/util/unique_fd.hpp"

using namespace fouctl;

namespace {

std::uint32_t port_id(int fd) {
  sockaddr_nl a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) < 0)
    return 0;
  return a.nl_pid;
}

// A plain NETLINK_ROUTE socket with a port id of its own, to play another process.
util::UniqueFd open_spoofer() {
  util::UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  sockaddr_nl a{};
  a.nl_family = AF_NETLINK;
  if (fd.valid() && ::bind(fd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) < 0)
    fd.reset();
  return fd;
}

int send_to(int from, std::uint32_t to_port, const std::vector<std::uint8_t> &datagram) {
  sockaddr_nl to{};
  to.nl_family = AF_NETLINK;
  to.nl_pid = to_port;
  return static_cast<int>(::sendto(from, datagram.data(), datagram.size(), 0,
                                   reinterpret_cast<sockaddr *>(&to), sizeof to));
}

// Whether this process may send to another socket's port id (the kernel asks for
// CAP_NET_ADMIN on NETLINK_ROUTE); says why not when it may not.
bool can_spoof() {
  auto a = open_spoofer(), b = open_spoofer();
  if (a.valid() && b.valid() && send_to(a.get(), port_id(b.get()), {0}) >= 0)
    return true;
  std::fprintf(stderr, "nl::socket: skipping the spoofed-reply case: sending to another netlink "
                       "socket failed (%s); it needs CAP_NET_ADMIN\n",
               std::strerror(errno));
  return false;
}

// What another process would send: a RTM_NEWLINK for "evil" (ifindex 99) and an ACK, with
// the sequence number of the request it races.
std::vector<std::uint8_t> forged_answer(std::uint32_t seq) {
  std::vector<std::uint8_t> out;
  auto put = [&](const void *p, std::size_t n) {
    const auto *b = static_cast<const std::uint8_t *>(p);
    out.insert(out.end(), b, b + n);
  };
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_HDRLEN + sizeof(ifinfomsg) + NLA_HDRLEN + 8;
  h.nlmsg_type = RTM_NEWLINK;
  h.nlmsg_seq = seq;
  ifinfomsg ifi{};
  ifi.ifi_index = 99;
  nlattr name{static_cast<std::uint16_t>(NLA_HDRLEN + 5), IFLA_IFNAME};
  put(&h, sizeof h);
  put(&ifi, sizeof ifi);
  put(&name, sizeof name);
  put("evil\0\0\0", 8);
  nlmsghdr ack{};
  ack.nlmsg_len = NLMSG_HDRLEN + sizeof(nlmsgerr);
  ack.nlmsg_type = NLMSG_ERROR;
  ack.nlmsg_flags = NLM_F_CAPPED;
  ack.nlmsg_seq = seq;
  nlmsgerr err{};
  put(&ack, sizeof ack);
  put(&err, sizeof err);
  return out;
}

} // namespace

TEST_SUITE("nl::socket") {
  TEST_CASE("a do request gets the kernel's answer; a missing genl family is ErrorKind::missing") {
    auto genl = nl::Socket::open(NETLINK_GENERIC);
    REQUIRE(genl);
    auto ctrl = genl->genl_family("nlctrl");
    REQUIRE(ctrl);
    CHECK(*ctrl == GENL_ID_CTRL);
    auto none = genl->genl_family("fouctl-none");
    REQUIRE_FALSE(none);
    CHECK(none.error().kind == util::ErrorKind::missing);
  }

  TEST_CASE("a reply forged by another socket is dropped; the kernel's answer is taken" *
            doctest::skip(!can_spoof())) {
    auto rt = nl::Socket::open(NETLINK_ROUTE);
    REQUIRE(rt);
    auto spoofer = open_spoofer();
    REQUIRE(spoofer.valid());
    constexpr std::uint32_t k_seq = 0x5eed;
    // Queued before the request is even sent, so it is the first thing the socket reads.
    REQUIRE(send_to(spoofer.get(), port_id(rt->fd()), forged_answer(k_seq)) > 0);
    auto m = nl::build_link_get("lo");
    REQUIRE(m);
    nlmsg_hdr(m->get())->nlmsg_seq = k_seq; // libnl keeps a sequence number set by hand
    auto replies = rt->request(*m);
    REQUIRE(replies);
    REQUIRE(replies->size() == 1);
    auto link = nl::parse_link((*replies)[0]);
    REQUIRE(link);
    CHECK(link->name == "lo");
    CHECK(link->ifindex != 99);
  }
}
