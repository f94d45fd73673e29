#pragma once
// The generic netlink controller: a family's id by its name. Built and parsed here rather
// than with libnl's genl_ctrl_resolve() so that its answer goes through Socket::request,
// which accepts replies only from the kernel and checks every length.
#include <string_view>

#include "fouctl/nl/message.hpp"

namespace fouctl::nl {

// genl ctrl get name NAME (CTRL_CMD_GETFAMILY, a "do" request)
Result<Message> build_genl_family_get(std::string_view name);
// CTRL_ATTR_FAMILY_ID of a CTRL_CMD_NEWFAMILY reply.
Result<int> parse_genl_family_id(const Reply &r);

} // namespace fouctl::nl
