#pragma once
// Reading the config file (fouctl.json(5)): `fouctl check`, and the loader that apply, plan
// and status share with it, so that every verb reads a file the same way.
#include <iosfwd>
#include <string>

#include "fouctl/cli/invocation.hpp"
#include "fouctl/config/file.hpp"

namespace fouctl::cli {

// The file's text. An unreadable file (missing, a directory, no permission, over 1 MiB) is
// an ErrorKind::usage error naming the path and the reason.
util::Result<std::string> read_config_text(const std::string &path);

// Reads and parses `path`. Each problem goes to `err` as "fouctl VERB: PATH: LOCATION:
// MESSAGE" ("fouctl: ..." without a verb); any problem makes an ErrorKind::usage error
// "invalid configuration: ...", so the caller changes nothing and exits 2.
util::Result<config::Config> load_config_file(const std::string &path, std::ostream &err,
                                              const char *verb = nullptr);

// `fouctl check [-c FILE]`: needs no privileges and touches nothing but the file. Prints
// every problem to `err` and returns k_exit_usage, or prints "FILE: N tunnels, valid" to
// `out` and returns k_exit_ok.
util::Result<int> cmd_check(const Invocation &inv, std::ostream &out, std::ostream &err);

} // namespace fouctl::cli
