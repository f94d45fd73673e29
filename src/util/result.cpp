#include "fouctl/util/result.hpp"

#include <cstring>

namespace fouctl::util {

std::string Error::describe() const {
  std::string out;
  for (auto it = context.rbegin(); it != context.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message;
  if (!ext_ack.empty())
    out += " (kernel: " + ext_ack + ")";
  if (!hint.empty())
    out += "; " + hint;
  return out;
}

tl::unexpected<Error> fail_errno(std::string message, int errnum) {
  Error e;
  e.kind = ErrorKind::system;
  e.errnum = errnum;
  e.message = std::move(message);
  if (errnum != 0) {
    e.message += ": ";
    e.message += std::strerror(errnum);
  }
  return tl::unexpected<Error>(std::move(e));
}

} // namespace fouctl::util
