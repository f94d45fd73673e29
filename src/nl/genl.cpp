#include "fouctl/nl/genl.hpp"

#include <linux/genetlink.h>

namespace fouctl::nl {

using util::ErrorKind;
using util::fail;

// The controller's version; the kernel ignores it, libnl and iproute2 send 1.
constexpr std::uint8_t k_genl_ctrl_version = 1;

Result<Message> build_genl_family_get(std::string_view name) {
  auto m = Message::make(GENL_ID_CTRL, 0);
  genlmsghdr g{};
  g.cmd = CTRL_CMD_GETFAMILY;
  g.version = k_genl_ctrl_version;
  FOUCTL_TRY(m.append(&g, sizeof g));
  FOUCTL_TRY(m.put_string(CTRL_ATTR_FAMILY_NAME, name));
  return m;
}

Result<int> parse_genl_family_id(const Reply &r) {
  if (!r.family_header<genlmsghdr>())
    return fail(ErrorKind::system, "the kernel sent a short generic netlink controller reply");
  AttrTable t(r.attrs_after(GENL_HDRLEN), CTRL_ATTR_MAX);
  // Types below GENL_MIN_ID (0x10) are netlink's own (NLMSG_ERROR, NLMSG_DONE, ...).
  std::uint16_t id = t.u16(CTRL_ATTR_FAMILY_ID);
  if (id < GENL_MIN_ID)
    return fail(ErrorKind::system, "the kernel's controller reply has no valid family id");
  return id;
}

} // namespace fouctl::nl
