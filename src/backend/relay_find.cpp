// Finding running relays and talking to them, believing only authenticated answers.
#include <unistd.h>

#include <algorithm>

#include "fouctl/backend/runtime.hpp"
#include "fouctl/backend/userspace.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;

namespace {

// Root also answers for the unprivileged --tun-device relays of this namespace: one per
// persistent TUN device that root made for a user (its IFLA_TUN_OWNER), found in that
// user's runtime directory and believed only if that user serves it.
std::optional<RelayRef> user_relay_of(const nl::LinkInfo &l) {
  if (::geteuid() != 0 || l.kind != "tun" || !l.tun_owner || *l.tun_owner == 0)
    return std::nullopt;
  auto dir = user_runtime_dir(*l.tun_owner);
  if (!dir)
    return std::nullopt;
  return RelayRef{dir->relay_dir, dir->trusted, l.name};
}

} // namespace

std::vector<RelayRef> relay_refs(const Observed *obs) {
  std::vector<RelayRef> out;
  // Reading, not creating: a namespace where fouctl never ran has no directory.
  if (auto dir = runtime_dir(false))
    for (auto &name : relay::list_relays(dir->relay_dir))
      out.push_back({dir->relay_dir, dir->trusted, std::move(name)});
  if (obs)
    for (const auto &l : obs->links)
      if (auto ref = user_relay_of(l)) {
        bool dup = false;
        for (const auto &r : out)
          dup = dup || r.name == ref->name;
        auto names = relay::list_relays(ref->dir);
        if (!dup && std::find(names.begin(), names.end(), ref->name) != names.end())
          out.push_back(*ref);
      }
  return out;
}

Result<relay::ControlClient> connect_relay(const RelayRef &ref) {
  return relay::ControlClient::connect(ref.dir, ref.name, ref.trusted);
}

Result<RelayRef> find_relay(const std::string &name, const Observed *obs) {
  if (!relay::valid_tunnel_name(name))
    return fail(ErrorKind::not_found, "no relay for tunnel '" + name + "' runs here");
  if (auto dir = runtime_dir(false)) {
    RelayRef ref{dir->relay_dir, dir->trusted, name};
    auto c = connect_relay(ref);
    if (c || c.error().kind != ErrorKind::not_found)
      return c ? Result<RelayRef>(ref) : tl::unexpected(c.error());
  }
  if (obs)
    if (const auto *l = obs->link_by_name(name))
      if (auto ref = user_relay_of(*l)) {
        auto c = connect_relay(*ref);
        if (c || c.error().kind != ErrorKind::not_found)
          return c ? Result<RelayRef>(*ref) : tl::unexpected(c.error());
      }
  return fail(ErrorKind::not_found, "no relay for tunnel '" + name + "' runs here");
}

Result<std::string> relay_request(const RelayRef &ref, const std::string &request) {
  FOUCTL_TRY_ASSIGN(auto c, connect_relay(ref));
  return c.request(request);
}

} // namespace fouctl::backend
