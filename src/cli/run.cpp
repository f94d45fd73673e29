#include <cerrno>
#include <cstdlib>
#include <exception>
#include <ostream>

#include "fouctl/cli/commands.hpp"
#include "fouctl/util/netns.hpp"

namespace fouctl::cli {

void StreamReporter::action(std::string_view command) {
  if (!m_quiet)
    m_err << "[#] " << command << '\n' << std::flush;
}

void StreamReporter::note(std::string_view text) {
  if (!m_quiet)
    m_err << "fouctl: " << text << '\n' << std::flush;
}

util::Result<backend::NamespaceLock> take_lock(StreamReporter &reporter) {
  long seconds = 30;
  if (const char *env = std::getenv("FOUCTL_LOCK_TIMEOUT")) {
    // Whole seconds, 0 (do not wait) to a day; anything else is a mistake, not a 0.
    char *end = nullptr;
    errno = 0;
    seconds = std::strtol(env, &end, 10);
    if (*env == '\0' || *end != '\0' || errno != 0 || seconds < 0 || seconds > 86400)
      return util::fail(util::ErrorKind::usage,
                        "FOUCTL_LOCK_TIMEOUT: '" + std::string(env).substr(0, 32) +
                            "' is not a number of seconds from 0 to 86400");
  }
  return backend::NamespaceLock::acquire(std::chrono::seconds(seconds), [&](const std::string &holder) {
    reporter.note("waiting for another fouctl run in this network namespace" +
                  (holder.empty() ? std::string() : " (" + holder + ")") + " (up to " +
                  std::to_string(seconds) + " s)");
  });
}

namespace {

struct VerbEntry {
  Verb verb;
  util::Result<int> (*fn)(const Invocation &, std::ostream &, std::ostream &);
  const char *name;
};

constexpr VerbEntry k_verbs[] = {
    {Verb::up, cmd_up, "up"},
    {Verb::down, cmd_down, "down"},
    {Verb::status, cmd_status, "status"},
    {Verb::apply, cmd_apply, "apply"},
    {Verb::plan, cmd_plan, "plan"},
    {Verb::check, cmd_check, "check"},
    {Verb::relay, cmd_relay, "relay"},
    {Verb::doctor, cmd_doctor, "doctor"},
};

int report(const util::Error &e, const char *verb, std::ostream &err) {
  err << "fouctl" << (verb ? std::string(" ") + verb : std::string()) << ": " << e.describe()
      << '\n';
  return e.kind == util::ErrorKind::usage ? k_exit_usage : k_exit_failure;
}

} // namespace

int execute(const Invocation &inv, std::ostream &out, std::ostream &err) {
  if (inv.verb == Verb::help || inv.verb == Verb::version) {
    out << inv.help_text;
    return k_exit_ok;
  }
  for (const auto &v : k_verbs) {
    if (v.verb != inv.verb)
      continue;
    // check reads a file only; everything else looks at or changes a namespace.
    if (!inv.netns.empty() && inv.verb != Verb::check)
      if (auto s = util::enter_named_netns(inv.netns); !s)
        return report(s.error(), v.name, err);
    auto r = v.fn(inv, out, err);
    return r ? *r : report(r.error(), v.name, err);
  }
  return k_exit_usage;
}

int run(const std::vector<std::string> &args, std::ostream &out, std::ostream &err) {
  try {
    auto inv = parse(args);
    if (!inv) {
      report(inv.error(), nullptr, err);
      return k_exit_usage;
    }
    return execute(*inv, out, err);
  } catch (const std::exception &e) {
    err << "fouctl: internal error: " << e.what() << '\n';
    return k_exit_failure;
  }
}

} // namespace fouctl::cli
