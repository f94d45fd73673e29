#include "fouctl/nl/ethtool.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "fouctl/util/unique_fd.hpp"

namespace fouctl::nl {

util::Status set_tx_checksum_offload(const std::string &ifname, bool on) {
  util::UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return util::fail_errno("opening a socket for ethtool", errno);
  ethtool_value value{};
  value.cmd = ETHTOOL_STXCSUM;
  value.data = on ? 1 : 0;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char *>(&value);
  if (::ioctl(fd.get(), SIOCETHTOOL, &ifr) < 0)
    return util::fail_errno("setting tx checksum offload of '" + ifname + "'", errno);
  return {};
}

} // namespace fouctl::nl
