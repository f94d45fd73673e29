#include "fouctl/backend/transaction.hpp"

namespace fouctl::backend {

Transaction::~Transaction() { rollback(); }

util::Status Transaction::run(const std::string &command, const std::function<util::Status()> &step,
                              std::string undo_command, std::function<util::Status()> undo) {
  m_reporter.action(command);
  FOUCTL_TRY(step().map_error(util::context(command)));
  if (undo)
    m_undo.push_back({std::move(undo_command), std::move(undo)});
  return {};
}

std::vector<std::string> Transaction::rollback() {
  std::vector<std::string> failures;
  while (!m_undo.empty()) {
    Undo u = std::move(m_undo.back());
    m_undo.pop_back();
    m_reporter.action(u.command + "   # rollback");
    if (auto r = u.fn(); !r)
      failures.push_back(u.command + ": " + r.error().describe());
  }
  return failures;
}

util::Error Transaction::fail_and_rollback(util::Error e) {
  auto failures = rollback();
  for (const auto &f : failures)
    e.hint += (e.hint.empty() ? "" : "; ") + std::string("rollback failed: ") + f;
  return e;
}

} // namespace fouctl::backend
