#pragma once
// One function per verb (cmd_<verb>.cpp), dispatched from a table in run.cpp.
#include <iosfwd>
#include <string>
#include <vector>

#include "fouctl/backend/reporter.hpp"
#include "fouctl/cli/invocation.hpp"
#include "fouctl/plan/plan.hpp"
#include "fouctl/backend/runtime.hpp"

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

// One up/down/apply at a time per network namespace: waits (bounded by
// FOUCTL_LOCK_TIMEOUT seconds, default 30) and says so when another run holds the lock.
util::Result<backend::NamespaceLock> take_lock(StreamReporter &reporter);

// What apply would do with the config at inv.config_path (nothing is changed).
struct Pending {
  std::vector<plan::Action> actions;
  std::vector<std::string> notes; // notes[i]: where actions[i]'s MTU came from, or ""
};
util::Result<Pending> pending_actions(const Invocation &inv, std::ostream &err);

util::Result<int> cmd_apply(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_plan(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_relay(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_check(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_up(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_down(const Invocation &inv, std::ostream &out, std::ostream &err);
util::Result<int> cmd_status(const Invocation &inv, std::ostream &out, std::ostream &err);

} // namespace fouctl::cli
