#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "fouctl/util/file_lock.hpp"
#include "temp_dir.hpp"

using fouctl::util::ErrorKind;
using fouctl::util::FileLock;
using namespace std::chrono_literals;

TEST_SUITE("util::file_lock") {
  TEST_CASE("a second holder is refused and told who holds the lock") {
    auto dir = make_temp_dir();
    const auto path = dir + "/lock";
    auto first = FileLock::acquire(path, 0600, 0ms, {});
    REQUIRE(first);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    // flock locks belong to the open file: a second open in this process conflicts too.
    std::string told;
    auto second = FileLock::acquire(path, 0600, 120ms, [&](const std::string &h) { told = h; });
    REQUIRE_FALSE(second);
    CHECK(second.error().kind == ErrorKind::conflict);
    const std::string me = "pid " + std::to_string(::getpid()) + " (uid " + std::to_string(::getuid());
    CHECK(told.find(me) == 0);
    CHECK(second.error().message.find("still locked by " + me) != std::string::npos);
    first->remove();
    CHECK(::access(path.c_str(), F_OK) != 0);
    auto third = FileLock::acquire(path, 0600, 0ms, {});
    CHECK(third);
    third->remove();
    ::rmdir(dir.c_str());
  }

  TEST_CASE("a symbolic link is never followed") {
    auto dir = make_temp_dir();
    const auto target = dir + "/target";
    const auto link = dir + "/lock";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    auto l = FileLock::acquire(link, 0600, 0ms, {});
    REQUIRE_FALSE(l);
    CHECK(l.error().errnum == ELOOP);
    CHECK(::access(target.c_str(), F_OK) != 0);
    ::unlink(link.c_str());
    ::rmdir(dir.c_str());
  }
}
