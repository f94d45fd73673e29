#pragma once
// Result<T>: the error-carrying return type of every core function.
// Core code never prints; the CLI layer turns an Error into one message line.
#include <string>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

namespace fouctl::util {

enum class ErrorKind {
  usage,     // bad argument or input: exit code 2, nothing changed
  conflict,  // the request clashes with what exists: exit code 1, nothing changed
  not_found, // the object asked for does not exist
  missing,   // the kernel lacks a module or feature
  system,    // a syscall or netlink request failed
};

struct Error {
  ErrorKind kind = ErrorKind::system;
  int errnum = 0;               // errno, when a syscall or the kernel said so
  std::string message;          // what went wrong, without context
  std::string ext_ack;          // the kernel's extended-ACK text, if any
  std::string hint;             // what the user can do about it, if known
  std::vector<std::string> context; // innermost first: "creating link 'fou2001'"

  // "creating link 'fou2001': File exists (kernel: ...)"; context outermost first.
  [[nodiscard]] std::string describe() const;
};

template <typename T> using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(ErrorKind kind, std::string message, int errnum = 0) {
  Error e;
  e.kind = kind;
  e.errnum = errnum;
  e.message = std::move(message);
  return tl::unexpected<Error>(std::move(e));
}

// Builds an Error from errno (or a given errno value) with a message naming the operation.
tl::unexpected<Error> fail_errno(std::string message, int errnum);

// Adds a context frame to an error on its way up: r.map_error(context("opening port 5555")).
inline auto context(std::string frame) {
  return [frame = std::move(frame)](Error e) {
    e.context.push_back(frame);
    return e;
  };
}

} // namespace fouctl::util

#define FOUCTL_CONCAT_INNER(a, b) a##b
#define FOUCTL_CONCAT(a, b) FOUCTL_CONCAT_INNER(a, b)

// Returns the error of a Result<void>-like expression from the enclosing function.
#define FOUCTL_TRY(expr)                                                                  \
  do {                                                                                    \
    auto &&fouctl_try_result_ = (expr);                                                   \
    if (!fouctl_try_result_)                                                              \
      return tl::unexpected(std::move(fouctl_try_result_.error()));                       \
  } while (0)

// Declares or assigns `lhs` from a Result<T>, returning its error from the enclosing function.
#define FOUCTL_TRY_ASSIGN(lhs, expr)                                                      \
  auto FOUCTL_CONCAT(fouctl_try_, __LINE__) = (expr);                                     \
  if (!FOUCTL_CONCAT(fouctl_try_, __LINE__))                                              \
    return tl::unexpected(std::move(FOUCTL_CONCAT(fouctl_try_, __LINE__).error()));       \
  lhs = std::move(*FOUCTL_CONCAT(fouctl_try_, __LINE__))
