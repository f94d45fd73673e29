// `fouctl check` and the config file loader that apply and plan share with it.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fouctl/cli/check.hpp"
#include "test_config_file.hpp"

using namespace fouctl;
using namespace fouctl::test;

namespace {

// A private directory for the test's files, removed again.
class TempDir {
public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "fouctl-check.XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    m_path = pattern;
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  [[nodiscard]] std::string write(const std::string &name, const std::string &text) const {
    auto p = m_path / name;
    std::ofstream(p) << text;
    return p.string();
  }
  [[nodiscard]] const std::filesystem::path &path() const { return m_path; }

private:
  std::filesystem::path m_path;
};

struct Ran {
  util::Result<int> code;
  std::string out, err;
};

Ran check(const std::string &path) {
  cli::Invocation inv;
  inv.config_path = path;
  std::ostringstream out, err;
  auto code = cli::cmd_check(inv, out, err);
  return {code, out.str(), err.str()};
}

} // namespace

TEST_SUITE("config::file::check") {
  TEST_CASE("a valid file: a summary on stdout, exit 0") {
    auto hub = (examples_dir() / "hub.json").string();
    auto r = check(hub);
    REQUIRE(r.code);
    CHECK(*r.code == cli::k_exit_ok);
    CHECK(r.out == hub + ": 3 tunnels, valid\n");
    CHECK(r.err.empty());
    CHECK(check((examples_dir() / "seed-alice-bob.json").string())
              .out.ends_with(": 1 tunnel, valid\n"));
    CHECK(check((examples_dir() / "empty.json").string()).out.ends_with(": 0 tunnels, valid\n"));
  }

  TEST_CASE("an invalid file: every problem on stderr, exit 2") {
    TempDir dir;
    auto path = dir.write(
        "bad.json", one_tunnel(R"(, "mtu": 70000, "mode": "fast")",
                               R"("rx_port": "2001", "tx_port": 2002, "routes": ["10.0.2.2"])"));
    auto r = check(path);
    REQUIRE(r.code);
    CHECK(*r.code == cli::k_exit_usage);
    CHECK(r.out.empty());
    CHECK(r.err == "fouctl check: " + path +
                       R"(: /tunnels/0/rx_port: expected an integer, got the string "2001")"
                       "\n"
                       "fouctl check: " +
                       path +
                       ": /tunnels/0/mtu: 70000 is not a number from 68 to 65507\n"
                       "fouctl check: " +
                       path +
                       ": /tunnels/0/mode: mode 'fast' is not one of auto, kernel, userspace, bpf\n");
  }

  TEST_CASE("a syntax error names the line and column") {
    TempDir dir;
    auto path = dir.write("syntax.json", "{\n  \"version\": 1\n  \"tunnels\": []\n}\n");
    auto r = check(path);
    REQUIRE(r.code);
    CHECK(*r.code == cli::k_exit_usage);
    CHECK(r.err.starts_with("fouctl check: " + path + ": line 3, column 3: syntax error"));
  }

  TEST_CASE("a number beyond a double's range: a located error and exit 2, for every verb") {
    TempDir dir;
    auto path = dir.write("huge.json", R"({"version":1,"tunnels":[{"rx_port":1e999}]})");
    auto r = check(path);
    REQUIRE(r.code);
    CHECK(*r.code == cli::k_exit_usage);
    CHECK(r.err ==
          "fouctl check: " + path + ": line 1, column 36: the number 1e999 is out of range\n");
    // apply, plan and status read the file through the same loader.
    std::ostringstream err;
    auto loaded = cli::load_config_file(path, err, "apply");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().kind == util::ErrorKind::usage);
    CHECK(err.str() ==
          "fouctl apply: " + path + ": line 1, column 36: the number 1e999 is out of range\n");
  }

  TEST_CASE("thousands of clashing tunnels: the first errors and a count, not all of them") {
    TempDir dir;
    std::string list;
    for (int i = 0; i < 2000; ++i)
      list += std::string(i ? "," : "") +
              R"({"rx_port": 2001, "tx_port": 2002, "routes": ["10.0.2.2"]})";
    auto path = dir.write("same.json", R"({"version": 1, "tunnels": [)" + list + "]}");
    auto r = check(path);
    REQUIRE(r.code);
    CHECK(*r.code == cli::k_exit_usage);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 101);
    CHECK(r.err.size() < 20000);
    CHECK(r.err.ends_with("fouctl check: " + path +
                          ": /: ... and 3898 more errors (only the first 100 are listed)\n"));
  }

  TEST_CASE("an unreadable file is a usage error naming the path and the reason") {
    TempDir dir;
    auto missing = (dir.path() / "missing.json").string();
    auto r = check(missing);
    REQUIRE_FALSE(r.code);
    CHECK(r.code.error().kind == util::ErrorKind::usage);
    CHECK(r.code.error().describe() == "cannot read '" + missing + "': No such file or directory");
    auto d = check(dir.path().string());
    REQUIRE_FALSE(d.code);
    CHECK(d.code.error().describe() == "cannot read '" + dir.path().string() + "': Is a directory");
    auto big = dir.write("big.json", std::string((1 << 20) + 1, ' '));
    auto b = check(big);
    REQUIRE_FALSE(b.code);
    CHECK(b.code.error().describe() == "'" + big + "' is larger than 1 MiB; not a fouctl config");
  }

  TEST_CASE("load_config_file: the config, or the problems printed and a usage error") {
    TempDir dir;
    auto good = dir.write("good.json", one_tunnel(""));
    std::ostringstream err;
    auto c = cli::load_config_file(good, err);
    REQUIRE(c);
    CHECK(c->tunnels.at(0).name == "fou2001");
    CHECK(err.str().empty());

    auto bad = dir.write("bad.json", one_tunnel(R"(, "mtus": 1, "mtu": 1)"));
    auto e = cli::load_config_file(bad, err, "apply");
    REQUIRE_FALSE(e);
    CHECK(e.error().kind == util::ErrorKind::usage);
    CHECK(e.error().describe() ==
          "invalid configuration: 2 errors in '" + bad + "'; nothing was changed");
    CHECK(err.str() == "fouctl apply: " + bad +
                           ": /tunnels/0/mtus: unknown key 'mtus'; did you mean 'mtu'?\n"
                           "fouctl apply: " +
                           bad + ": /tunnels/0/mtu: 1 is not a number from 68 to 65507\n");
    std::ostringstream plain;
    (void)cli::load_config_file(bad, plain);
    CHECK(plain.str().starts_with("fouctl: " + bad + ": /tunnels/0/mtus: "));
  }
}
