// The relay engine end to end, without privileges: a socketpair(AF_UNIX, SOCK_DGRAM) stands in
// for the TUN fd (one packet per read/write, like TUN) and real UDP sockets on 127.0.0.x carry
// the outer side. Every wait is bounded; the engine thread is always joined.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fouctl/relay/engine.hpp"
#include "fouctl/relay/udp.hpp"
#include "fouctl/util/unique_fd.hpp"

using namespace fouctl::relay;
using fouctl::util::UniqueFd;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr int k_wait_ms = 3000;  // for things that must happen
constexpr int k_quiet_ms = 150;  // for things that must not

// IPv4 UDP 10.0.0.1 -> 10.0.0.2 of `total` bytes, tagged with `tag` in its payload.
Bytes ipv4(std::size_t total, std::uint16_t tag = 0, bool df = true) {
  Bytes p(total, 0x5a);
  p[0] = 0x45;
  store_be16(&p[2], static_cast<std::uint16_t>(total));
  store_be16(&p[6], df ? 0x4000 : 0);
  p[8] = 64;
  p[9] = 17;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  store_be16(&p[10], checksum_finish(checksum_add(0, std::span(p).first(20))));
  if (total >= 30)
    store_be16(&p[28], tag);
  return p;
}

Bytes ipv6(std::size_t total) {
  Bytes p(total, 0x6b);
  p[0] = 0x60;
  store_be16(&p[4], static_cast<std::uint16_t>(total - 40));
  p[6] = 17;
  p[7] = 64;
  return p;
}

UniqueFd udp_socket(const char *ip) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  REQUIRE(::inet_pton(AF_INET, ip, &a.sin_addr) == 1);
  REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
  return fd;
}

sockaddr_storage local_addr(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len) == 0);
  return ss;
}

std::optional<Bytes> recv_within(int fd, int ms, sockaddr_storage *from = nullptr) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) != 1)
    return std::nullopt;
  Bytes buf(70000);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr *>(&ss), &len);
  if (n < 0)
    return std::nullopt;
  if (from != nullptr)
    *from = ss;
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

template <typename Pred> bool wait_until(Pred pred, int ms = k_wait_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

struct Options {
  bool port_fixed = false;
  Framing framing = Framing::raw;
  std::uint32_t mtu = 1472;
  bool log = false;
};

// An engine on its own thread between a fake TUN (tun_test is the kernel's side) and a peer.
struct Relay {
  UniqueFd tun_engine, tun_test, udp, peer, stop;
  Counters counters;
  std::optional<Engine> engine;
  std::thread thread;
  fouctl::util::Status result;
  std::atomic<bool> finished{false}; // run() returned
  std::mutex log_mutex;
  std::vector<std::string> log_lines;

  explicit Relay(Options o = {}) {
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
    tun_engine.reset(sv[0]);
    tun_test.reset(sv[1]);
    timeval tv{3, 0}; // bounds the test's blocking writes into the fake TUN
    ::setsockopt(tun_test.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    udp = udp_socket("127.0.0.1");
    auto tuning = tune_udp_socket(udp.get());
    REQUIRE(tuning);
    CHECK(tuning->rcvbuf > 0);
    peer = udp_socket("127.0.0.1");
    int big = 1 << 20;
    ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    stop.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    REQUIRE(stop.valid());

    EngineConfig cfg;
    cfg.tun_fd = tun_engine.get();
    cfg.udp_fd = udp.get();
    cfg.peer = local_addr(peer.get());
    cfg.peer_len = sizeof(sockaddr_in);
    cfg.peer_port_fixed = o.port_fixed;
    cfg.framing = o.framing;
    cfg.mtu = o.mtu;
    cfg.stop_fd = stop.get();
    if (o.log)
      cfg.log = [this](std::string_view line) {
        std::lock_guard lock(log_mutex);
        log_lines.emplace_back(line);
      };
    engine.emplace(std::move(cfg), counters);
    thread = std::thread([this] {
      result = engine->run();
      finished = true;
    });
  }
  ~Relay() { join(); }
  Relay(const Relay &) = delete;
  Relay &operator=(const Relay &) = delete;

  // Stops the engine through stop_fd; bounded even if the engine ignores it: it is then
  // failed, forced out through a hung-up TUN fd, and as a last resort the run aborts.
  void join() {
    if (!thread.joinable())
      return;
    std::uint64_t one = 1;
    CHECK(::write(stop.get(), &one, sizeof one) == sizeof one);
    if (!wait_until([&] { return finished.load(); })) {
      FAIL_CHECK("the engine did not stop within " << k_wait_ms << " ms of stop_fd");
      ::shutdown(tun_engine.get(), SHUT_RDWR);
      if (!wait_until([&] { return finished.load(); }))
        std::abort();
    }
    thread.join();
  }

  // Sends `payload` from socket `from` to the engine's UDP port.
  void send_udp(int from, const Bytes &payload) {
    sockaddr_storage to = local_addr(udp.get());
    REQUIRE(::sendto(from, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr *>(&to),
                     sizeof(sockaddr_in)) == static_cast<ssize_t>(payload.size()));
  }
  void send_tun(const Bytes &pkt) {
    REQUIRE(::send(tun_test.get(), pkt.data(), pkt.size(), 0) == static_cast<ssize_t>(pkt.size()));
  }
  std::uint64_t drops(DropReason r) { return snapshot(counters).drop(r); }
  bool drops_reach(DropReason r, std::uint64_t n) {
    return wait_until([&] { return drops(r) >= n; });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(log_mutex);
    return log_lines;
  }
};

std::uint16_t port_of(const sockaddr_storage &ss) {
  sockaddr_in a;
  std::memcpy(&a, &ss, sizeof a);
  return ntohs(a.sin_port);
}

} // namespace

TEST_SUITE("relay::engine") {

TEST_CASE("a packet from the TUN reaches the peer as one unchanged UDP payload") {
  Relay r;
  const Bytes pkt = ipv4(84, 1);
  r.send_tun(pkt);
  sockaddr_storage from{};
  auto got = recv_within(r.peer.get(), k_wait_ms, &from);
  REQUIRE(got);
  CHECK(*got == pkt);
  CHECK(port_of(from) == port_of(local_addr(r.udp.get())));
  CHECK(wait_until([&] {
    auto s = snapshot(r.counters);
    return s.tx_packets == 1 && s.tx_bytes == 84;
  }));

  const Bytes pkt6 = ipv6(1280);
  r.send_tun(pkt6);
  got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == pkt6);
}

TEST_CASE("a datagram from the peer is written unchanged to the TUN") {
  Relay r;
  for (const Bytes &pkt : {ipv4(84, 2), ipv6(1500), ipv4(20)}) {
    r.send_udp(r.peer.get(), pkt);
    auto got = recv_within(r.tun_test.get(), k_wait_ms);
    REQUIRE(got);
    CHECK(*got == pkt);
  }
  CHECK(wait_until([&] {
    auto s = snapshot(r.counters);
    return s.rx_packets == 3 && s.rx_bytes == 84 + 1500 + 20;
  }));
  CHECK(snapshot(r.counters).total_drops() == 0);
}

TEST_CASE("a burst from the TUN is sent completely and in order") {
  Relay r;
  constexpr std::uint16_t k_count = 150;
  for (std::uint16_t i = 0; i < k_count; ++i)
    r.send_tun(ipv4(200, i));
  for (std::uint16_t i = 0; i < k_count; ++i) {
    auto got = recv_within(r.peer.get(), k_wait_ms);
    REQUIRE(got);
    CHECK(*got == ipv4(200, i));
  }
  CHECK(wait_until([&] { return snapshot(r.counters).tx_packets == k_count; }));
}

TEST_CASE("datagrams from another address are dropped as foreign_source") {
  Relay r;
  UniqueFd stranger = udp_socket("127.0.0.2");
  r.send_udp(stranger.get(), ipv4(84, 66));
  CHECK(r.drops_reach(DropReason::foreign_source, 1));
  // Without a fixed port, any port of the peer's address is the peer (kernel FOU hashes it).
  UniqueFd other_port = udp_socket("127.0.0.1");
  r.send_udp(other_port.get(), ipv4(84, 7));
  auto got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == ipv4(84, 7)); // not the stranger's packet
  CHECK(r.drops(DropReason::foreign_source) == 1);
}

TEST_CASE("with a fixed peer port, another port of the peer's address is foreign") {
  Relay r({.port_fixed = true});
  UniqueFd other_port = udp_socket("127.0.0.1");
  r.send_udp(other_port.get(), ipv4(84, 66));
  CHECK(r.drops_reach(DropReason::foreign_source, 1));
  r.send_udp(r.peer.get(), ipv4(84, 8));
  auto got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == ipv4(84, 8));
}

TEST_CASE("garbage from the peer is counted malformed while valid traffic continues") {
  Relay r;
  Bytes trailing = ipv4(60);
  store_be16(&trailing[2], 50);
  Bytes v5 = ipv4(60);
  v5[0] = 0x55;
  const std::vector<Bytes> garbage = {{}, {0x45}, v5, trailing, Bytes(39, 0x60),
                                      Bytes(65507, 0x45)};
  for (const Bytes &g : garbage)
    r.send_udp(r.peer.get(), g);
  r.send_udp(r.peer.get(), ipv4(84, 9));
  auto got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == ipv4(84, 9));
  CHECK(r.drops_reach(DropReason::malformed, garbage.size()));
  CHECK_FALSE(recv_within(r.tun_test.get(), k_quiet_ms));
  CHECK(snapshot(r.counters).rx_packets == 1);
}

TEST_CASE("garbage from the TUN side is counted malformed, not sent") {
  Relay r;
  r.send_tun({});
  r.send_tun({0x60, 0x00});
  r.send_tun(ipv4(84, 10));
  auto got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == ipv4(84, 10));
  CHECK(r.drops_reach(DropReason::malformed, 2));
}

TEST_CASE("tun_pi framing on the UDP side") {
  Relay r({.framing = Framing::tun_pi});
  const Bytes pkt = ipv4(84, 11);
  r.send_tun(pkt);
  auto got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  REQUIRE(got->size() == pkt.size() + 4);
  CHECK(Bytes(got->begin(), got->begin() + 4) == Bytes{0x00, 0x00, 0x08, 0x00});
  CHECK(Bytes(got->begin() + 4, got->end()) == pkt);
  CHECK(wait_until([&] { return snapshot(r.counters).tx_bytes == 84; })); // inner bytes

  const Bytes pkt6 = ipv6(100);
  Bytes framed{0x00, 0x00, 0x86, 0xdd};
  framed.insert(framed.end(), pkt6.begin(), pkt6.end());
  r.send_udp(r.peer.get(), pkt); // bare packet: the first nibbles are not a tun_pi header
  Bytes wrong = framed;
  wrong[3] = 0x00; // proto 0x8600
  r.send_udp(r.peer.get(), wrong);
  r.send_udp(r.peer.get(), framed);
  got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == pkt6);
  CHECK(r.drops_reach(DropReason::malformed, 2));
}

TEST_CASE("GUE framing on the UDP side") {
  Relay r({.framing = Framing::gue, .log = true});
  const Bytes pkt = ipv4(84, 19);
  r.send_tun(pkt);
  auto got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  REQUIRE(got->size() == pkt.size() + 4);
  CHECK(Bytes(got->begin(), got->begin() + 4) == Bytes{0x00, 0x04, 0x00, 0x00}); // IPPROTO_IPIP
  CHECK(Bytes(got->begin() + 4, got->end()) == pkt);
  const Bytes pkt6 = ipv6(100);
  r.send_tun(pkt6);
  got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  REQUIRE(got->size() == pkt6.size() + 4);
  CHECK(Bytes(got->begin(), got->begin() + 4) == Bytes{0x00, 0x29, 0x00, 0x00}); // IPPROTO_IPV6
  CHECK(Bytes(got->begin() + 4, got->end()) == pkt6);
  CHECK(wait_until([&] { return snapshot(r.counters).tx_bytes == 84 + 100; })); // inner bytes

  // Refused: a control message, remote checksum offload's flag, a protocol that is not the
  // packet's, and a payload that is neither GUE version 0 nor a bare IP packet.
  Bytes framed{0x00, 0x29, 0x00, 0x00};
  framed.insert(framed.end(), pkt6.begin(), pkt6.end());
  Bytes control = framed, flagged = framed, wrong_proto = framed;
  control[0] = 0x20;
  flagged[3] = 0x01;
  wrong_proto[1] = 0x04;
  const std::vector<Bytes> bad = {control, flagged, wrong_proto, Bytes(60, 0x9a)};
  for (const Bytes &b : bad)
    r.send_udp(r.peer.get(), b);
  // Accepted: the kernel's own header, and a bare packet (GUE version 1).
  r.send_udp(r.peer.get(), framed);
  got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == pkt6);
  r.send_udp(r.peer.get(), pkt);
  got = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == pkt);
  CHECK(r.drops_reach(DropReason::malformed, bad.size()));
  CHECK(wait_until([&] {
    auto s = snapshot(r.counters);
    return s.rx_packets == 2 && s.rx_bytes == 100 + 84;
  }));
  r.join();
  const auto lines = r.lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string &l) {
          return l.ends_with(": malformed (bad GUE header)");
        }) == static_cast<std::ptrdiff_t>(bad.size()));
}

TEST_CASE("GUE framing on fragments of a packet over the MTU") {
  Relay r({.framing = Framing::gue, .mtu = 1000});
  r.send_tun(ipv4(1200, 20, false)); // no DF: fragmented, each piece with its own header
  auto first = recv_within(r.peer.get(), k_wait_ms);
  auto second = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(first);
  REQUIRE(second);
  for (const Bytes *d : {&*first, &*second}) {
    REQUIRE(d->size() > 24);
    CHECK(Bytes(d->begin(), d->begin() + 4) == Bytes{0x00, 0x04, 0x00, 0x00});
  }
  CHECK(first->size() == 4 + 996);
  CHECK(load_be16(&(*first)[4 + 6]) == 0x2000); // MF, offset 0
  CHECK(second->size() == 4 + 224);
  CHECK(load_be16(&(*second)[4 + 6]) == 976 / 8);
}

TEST_CASE("a packet over the MTU is answered with ICMP into the TUN and counted too_big") {
  Relay r({.mtu = 1000});
  r.send_tun(ipv4(1200, 12));
  auto icmp = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(icmp);
  REQUIRE(icmp->size() == 576);
  CHECK((*icmp)[9] == 1);
  CHECK((*icmp)[20] == 3);
  CHECK((*icmp)[21] == 4);
  CHECK(load_be16(&(*icmp)[26]) == 1000);
  CHECK(r.drops_reach(DropReason::too_big, 1));
  CHECK_FALSE(recv_within(r.peer.get(), k_quiet_ms));

  // No DF: fragmented as the kernel would have done before the TUN (976 + 204 data bytes).
  r.send_tun(ipv4(1200, 13, false));
  auto first = recv_within(r.peer.get(), k_wait_ms);
  auto second = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->size() == 996);
  CHECK(load_be16(&(*first)[6]) == 0x2000); // MF, offset 0
  CHECK(second->size() == 224);
  CHECK(load_be16(&(*second)[6]) == 976 / 8);
  CHECK_FALSE(recv_within(r.tun_test.get(), k_quiet_ms));
  CHECK(r.drops_reach(DropReason::too_big, 1));
  r.send_tun(ipv4(1000, 14)); // exactly the MTU passes
  CHECK(recv_within(r.peer.get(), k_wait_ms));
}

TEST_CASE("EMSGSIZE from the UDP socket becomes ICMP with the path MTU") {
  // 65535-byte inner packet: UDP over IPv4 carries at most 65507 bytes, so sendmmsg fails.
  Relay r({.mtu = 65535});
  r.send_tun(ipv4(65535, 15));
  auto icmp = recv_within(r.tun_test.get(), k_wait_ms);
  REQUIRE(icmp);
  CHECK((*icmp)[20] == 3);
  CHECK((*icmp)[21] == 4);
  const std::uint16_t mtu = load_be16(&(*icmp)[26]);
  CHECK(mtu >= 68);
  CHECK(mtu <= 65507);
  CHECK(r.drops_reach(DropReason::too_big, 1));
  CHECK(snapshot(r.counters).tx_packets == 0);
  r.send_tun(ipv4(84, 16)); // the batch after it still flows
  auto got = recv_within(r.peer.get(), k_wait_ms);
  REQUIRE(got);
  CHECK(*got == ipv4(84, 16));
}

TEST_CASE("with a log callback, each datagram and drop gets one line") {
  Relay r({.log = true});
  const std::string peer = "127.0.0.1:" + std::to_string(port_of(local_addr(r.peer.get())));
  r.send_tun(ipv4(84, 17));
  REQUIRE(recv_within(r.peer.get(), k_wait_ms));
  r.send_udp(r.peer.get(), ipv4(60, 18));
  REQUIRE(recv_within(r.tun_test.get(), k_wait_ms));
  UniqueFd stranger = udp_socket("127.0.0.2");
  r.send_udp(stranger.get(), ipv4(40));
  REQUIRE(r.drops_reach(DropReason::foreign_source, 1));
  r.join();
  const std::string stranger_ep =
      "127.0.0.2:" + std::to_string(port_of(local_addr(stranger.get())));
  const auto lines = r.lines();
  auto has = [&](const std::string &s) {
    return std::find(lines.begin(), lines.end(), s) != lines.end();
  };
  CHECK(has("> 84 bytes to " + peer));
  CHECK(has("< 60 bytes from " + peer));
  CHECK(has("< 40 bytes from " + stranger_ep));
  CHECK(has("drop 40 bytes from " + stranger_ep + ": foreign_source"));
  CHECK(lines.size() == 4);
}

TEST_CASE("stop_fd makes run() return success promptly") {
  Relay r;
  const auto start = std::chrono::steady_clock::now();
  r.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
  CHECK(r.result);
}

TEST_CASE("a hung-up TUN fd is a fatal error") {
  Relay r;
  REQUIRE(::shutdown(r.tun_engine.get(), SHUT_RDWR) == 0); // what the engine sees as EPOLLHUP
  REQUIRE(wait_until([&] { return r.finished.load(); }));
  r.join();
  REQUIRE_FALSE(r.result);
  CHECK(r.result.error().message.find("TUN") != std::string::npos);
}

TEST_CASE("an unusable configuration is refused before relaying") {
  Counters counters;
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  UniqueFd udp = udp_socket("127.0.0.1");
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd a(sv[0]), b(sv[1]);
  EngineConfig good;
  good.tun_fd = a.get();
  good.udp_fd = udp.get();
  good.peer = local_addr(udp.get());
  good.peer_len = sizeof(sockaddr_in);
  good.stop_fd = stop.get();

  auto refused = [&](EngineConfig cfg) {
    Engine e(std::move(cfg), counters);
    auto st = e.run();
    return !st && st.error().kind == fouctl::util::ErrorKind::usage;
  };
  EngineConfig c = good;
  c.mtu = 67;
  CHECK(refused(c));
  c = good;
  c.tun_fd = -1;
  CHECK(refused(c));
  c = good;
  c.peer.ss_family = AF_UNSPEC;
  CHECK(refused(c));
  c = good;
  c.peer_len = 4;
  CHECK(refused(c));
}

} // TEST_SUITE
