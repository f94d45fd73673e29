#pragma once
// Undo log for a run: every step that creates something registers how to remove it.
// If the run fails, rollback() undoes the steps in reverse order and collects any undo
// failures so the caller can report them next to the original error.
#include <functional>
#include <string>
#include <vector>

#include "fouctl/backend/reporter.hpp"
#include "fouctl/util/result.hpp"

namespace fouctl::backend {

class Transaction {
public:
  explicit Transaction(Reporter &reporter) : m_reporter(reporter) {}
  Transaction(const Transaction &) = delete;
  Transaction &operator=(const Transaction &) = delete;
  // A transaction that was neither committed nor rolled back rolls back.
  ~Transaction();

  // Echoes `command`, runs `step`, and on success records `undo` (with its own command).
  util::Status run(const std::string &command, const std::function<util::Status()> &step,
                   std::string undo_command, std::function<util::Status()> undo);
  void commit() { m_undo.clear(); }
  // Undoes everything recorded; returns the undo failures, described.
  std::vector<std::string> rollback();
  // Adds rollback failures to an error on its way out.
  util::Error fail_and_rollback(util::Error e);

private:
  struct Undo {
    std::string command;
    std::function<util::Status()> fn;
  };
  Reporter &m_reporter;
  std::vector<Undo> m_undo;
};

} // namespace fouctl::backend
