#pragma once
// The plan as a versioned document: `fouctl plan --json`, and the "drift" member of
// `fouctl status --json` (fouctl(8), PLAN IN JSON). Pure, like the planner.
//
//   {"schema": "fouctl-plan/1", "config": "/etc/fouctl/fouctl.json",
//    "changes": [{"action": "create", "object": "route", "tunnel": "fou5555",
//                 "op": "add_route", "before": null, "after": {"prefix": "10.0.0.0/24"},
//                 "command": "ip route add 10.0.0.0/24 dev fou5555 proto 252 scope link"}],
//    "pending": 1}
//
// A consumer checks "schema": keys may be added under fouctl-plan/1; renaming or removing
// one, or a new meaning for a value, makes fouctl-plan/2.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "fouctl/plan/plan.hpp"

namespace fouctl::plan {

constexpr std::string_view k_json_schema = "fouctl-plan/1";

// What an action does to what, in the document's words.
struct Change {
  std::string_view op;     // the ActionKind's own name: "add_route"
  std::string_view action; // "create", "change" or "remove"
  // "tunnel", "address", "route", "mtu", "encap", "port", "offload" or "link"
  std::string_view object;
  bool operator==(const Change &) const = default;
};

// The one place an ActionKind gets its document names.
Change classify(ActionKind kind);

// One element of "changes". `note` (the MTU note `plan` prints under the step) is left out
// when empty.
nlohmann::ordered_json change_to_json(const Action &a, const std::string &note = {});

// The whole document for `actions`, which apply would take to match `config_path`.
// notes[i] is actions[i]'s note; missing or empty: none.
nlohmann::ordered_json plan_to_json(const std::vector<Action> &actions,
                                    const std::string &config_path,
                                    std::span<const std::string> notes = {});

} // namespace fouctl::plan
