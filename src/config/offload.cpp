#include "fouctl/config/tunnel.hpp"

namespace fouctl::config {

const char *to_string(Offload o) {
  switch (o) {
  case Offload::on:
    return "on";
  case Offload::off:
    return "off";
  case Offload::automatic:
    break;
  }
  return "auto";
}

util::Result<Offload> parse_offload(const std::string &s) {
  if (s == "auto")
    return Offload::automatic;
  if (s == "on")
    return Offload::on;
  if (s == "off")
    return Offload::off;
  return util::fail(util::ErrorKind::usage, "offload must be auto, on or off, not '" + s + "'");
}

bool tx_checksum_offload(const TunnelSpec &spec) {
  if (spec.offload != Offload::automatic)
    return spec.offload == Offload::on;
  return !spec.peer.is_loopback();
}

} // namespace fouctl::config
