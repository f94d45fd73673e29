#pragma once
// One function per verb (cmd_<verb>.cpp), dispatched from a table in run.cpp.
#include <iosfwd>

#include "fouctl/backend/reporter.hpp"
#include "fouctl/cli/invocation.hpp"

namespace fouctl::cli {

// Prints actions wg-quick style ("[#] ip link add ...") to the error stream.
class StreamReporter final : public backend::Reporter {
public:
  StreamReporter(std::ostream &err, bool quiet) : m_err(err), m_quiet(quiet) {}
  void action(std::string_view command) override;
  void note(std::string_view text) override;

private:
  std::ostream &m_err;
  bool m_quiet;
};

util::Result<int> cmd_up(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_down(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_status(const Invocation &inv, std::ostream &out, std::ostream &err);

} // namespace fouctl::cli
