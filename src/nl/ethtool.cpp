#include "fouctl/nl/ethtool.hpp"

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace fouctl::nl {

util::Status set_tx_checksum_offload(int sock, const std::string &ifname, bool on) {
  ethtool_value value{};
  value.cmd = ETHTOOL_STXCSUM;
  value.data = on ? 1 : 0;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char *>(&value);
  if (::ioctl(sock, SIOCETHTOOL, &ifr) < 0)
    return util::fail_errno("setting tx checksum offload of '" + ifname + "'", errno);
  return {};
}

util::Result<bool> tx_checksum_offload(int sock, const std::string &ifname) {
  ethtool_value value{};
  value.cmd = ETHTOOL_GTXCSUM;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char *>(&value);
  if (::ioctl(sock, SIOCETHTOOL, &ifr) < 0)
    return util::fail_errno("reading tx checksum offload of '" + ifname + "'", errno);
  return value.data != 0;
}

} // namespace fouctl::nl
