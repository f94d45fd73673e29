#pragma once
// How backends tell the user what they do. Backends never print; the CLI implements this.
#include <string_view>

namespace fouctl::backend {

class Reporter {
public:
  virtual ~Reporter() = default;
  // An action about to be performed, as the equivalent iproute2 command ("ip link add ...").
  virtual void action(std::string_view command) = 0;
  // A remark: a choice fouctl made, or why nothing was done.
  virtual void note(std::string_view text) = 0;
};

} // namespace fouctl::backend
