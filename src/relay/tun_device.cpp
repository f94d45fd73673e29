#include "fouctl/relay/tun_device.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <cstring>

namespace fouctl::relay {

using util::ErrorKind;

static util::Result<util::UniqueFd> open_tun(const std::string &name, bool attach) {
  util::UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    auto e = util::fail_errno("opening /dev/net/tun", errno);
    if (errno == ENOENT || errno == ENODEV)
      e.value().hint = "no /dev/net/tun here: the kernel lacks TUN (CONFIG_TUN), or a sandbox "
                       "(PrivateDevices=) hides it";
    e.value().kind = ErrorKind::missing;
    return e;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd.get(), TUNSETIFF, &ifr) < 0) {
    int err = errno;
    auto e = util::fail_errno(std::string(attach ? "attaching to" : "creating") + " TUN device '" +
                                  name + "'",
                              err);
    if (attach && err == EPERM)
      e.value().hint = "the device belongs to another user ('ip tuntap add dev " + name +
                       " mode tun user USER')";
    if (attach && err == EINVAL)
      e.value().hint = "'" + name + "' is not a TUN (layer 3) device";
    if (err == EBUSY)
      e.value().hint = "another program has it open";
    return e;
  }
  return fd;
}

util::Result<util::UniqueFd> create_tun(const std::string &name) { return open_tun(name, false); }
util::Result<util::UniqueFd> attach_tun(const std::string &name) { return open_tun(name, true); }

} // namespace fouctl::relay
