#include <doctest/doctest.h>

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "fouctl/relay/control.hpp"
#include "temp_dir.hpp"

using fouctl::util::ErrorKind;
using namespace fouctl::relay;

namespace {

// A relay's control server on its own thread, as run_relay runs it.
struct Served {
  ControlServer server;
  fouctl::util::UniqueFd stop{::eventfd(0, EFD_CLOEXEC)};
  std::thread thread;
  std::string refused;
  bool stopped = false;

  Served(ControlServer s, std::vector<uid_t> may_stop) : server(std::move(s)) {
    REQUIRE(server.listen());
    thread = std::thread([this, may_stop] {
      server.serve(
          stop.get(), may_stop, [] { return std::string(R"({"status":1})"); },
          [this] { stopped = true; }, [this](const std::string &l) { refused = l; });
    });
  }
  ~Served() {
    std::uint64_t one = 1;
    (void)!::write(stop.get(), &one, sizeof one);
    if (thread.joinable())
      thread.join();
  }
};

} // namespace

TEST_SUITE("relay::control") {
  TEST_CASE("tunnel names are checked before they become paths") {
    CHECK(valid_tunnel_name("fou2001"));
    CHECK(valid_tunnel_name("a.lock"));
    CHECK_FALSE(valid_tunnel_name(""));
    CHECK_FALSE(valid_tunnel_name(".."));
    CHECK_FALSE(valid_tunnel_name("a/b"));
    CHECK_FALSE(valid_tunnel_name("a b"));
    CHECK_FALSE(valid_tunnel_name("a:b"));
    CHECK_FALSE(valid_tunnel_name(std::string("a\nb")));
    CHECK_FALSE(valid_tunnel_name("sixteen-chars-xx"));
  }

  TEST_CASE("both ends check credentials; the pid is the listener's") {
    auto dir = make_temp_dir();
    std::string replaced;
    auto bound = ControlServer::bind(dir, "t1", replaced);
    REQUIRE(bound);
    CHECK(replaced.empty());
    // The name is taken while this relay holds its lock.
    auto twice = ControlServer::bind(dir, "t1", replaced);
    REQUIRE_FALSE(twice);
    CHECK(twice.error().kind == ErrorKind::conflict);
    CHECK_FALSE(remove_stale(dir, "t1"));
    {
      Served served(std::move(*bound), {static_cast<uid_t>(::getuid() + 1)});
      CHECK(list_relays(dir) == std::vector<std::string>{"t1"});

      // A client that trusts another uid ignores the socket and names who serves it.
      auto stranger = ControlClient::connect(dir, "t1", {static_cast<uid_t>(::getuid() + 1)});
      REQUIRE_FALSE(stranger);
      CHECK(stranger.error().kind == ErrorKind::conflict);
      CHECK(stranger.error().message.find("served by uid " + std::to_string(::getuid()) + " (pid " +
                                          std::to_string(::getpid()) + ")") != std::string::npos);

      auto c = ControlClient::connect(dir, "t1", {::getuid()});
      REQUIRE(c);
      CHECK(c->pid() == ::getpid());
      CHECK(c->uid() == ::getuid());
      // Not proven alive yet: no signal.
      CHECK_FALSE(c->kill());
      auto st = c->request("status");
      REQUIRE(st);
      CHECK(*st == R"({"status":1})");

      // "stop" from a uid the relay was not told to obey.
      auto c2 = ControlClient::connect(dir, "t1", {::getuid()});
      REQUIRE(c2);
      auto no = c2->request("stop");
      REQUIRE(no);
      CHECK(*no == "error: uid " + std::to_string(::getuid()) + " (pid " + std::to_string(::getpid()) +
                       ") may not stop this relay");
      auto c3 = ControlClient::connect(dir, "t1", {::getuid()});
      REQUIRE(c3);
      auto unknown = c3->request(std::string(200, 'x'));
      REQUIRE(unknown);
      CHECK(*unknown == "error: unknown request");
    }
    // Its lock is free once it is gone: the socket file is stale and goes.
    CHECK(ControlClient::connect(dir, "t1", {::getuid()}).error().kind == ErrorKind::not_found);
    CHECK(remove_stale(dir, "t1"));
    CHECK(list_relays(dir).empty());
    ::rmdir(dir.c_str());
  }

  TEST_CASE("stop is obeyed from an allowed uid") {
    auto dir = make_temp_dir();
    std::string replaced;
    auto bound = ControlServer::bind(dir, "t2", replaced);
    REQUIRE(bound);
    {
      Served served(std::move(*bound), {::getuid()});
      auto c = ControlClient::connect(dir, "t2", {::getuid()});
      REQUIRE(c);
      CHECK(*c->request("stop") == "ok");
      served.thread.join(); // serve() returns by itself after a stop
      CHECK(served.stopped);
    }
    CHECK(remove_stale(dir, "t2"));
    ::rmdir(dir.c_str());
  }

  TEST_CASE("a socket planted at a free name is replaced and its server named") {
    auto dir = make_temp_dir();
    const std::string path = dir + "/t3";
    fouctl::util::UniqueFd squat(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
    REQUIRE(::bind(squat.get(), reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(squat.get(), 1) == 0);
    std::string replaced;
    auto bound = ControlServer::bind(dir, "t3", replaced);
    REQUIRE(bound);
    CHECK(replaced == "uid " + std::to_string(::getuid()) + " (pid " + std::to_string(::getpid()) + ")");
    // Entries that are not sockets, or not tunnel names, are not listed.
    CHECK(list_relays(dir) == std::vector<std::string>{"t3"});
    bound = ControlServer{};
    CHECK(remove_stale(dir, "t3"));
    ::rmdir(dir.c_str());
  }
}
