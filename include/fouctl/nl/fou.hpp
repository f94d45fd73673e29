#pragma once
// The "fou" generic netlink family: FOU receive ports (kernel UDP sockets that strip the
// UDP header and hand the payload to the IP protocol handler of `ipproto`).
#include <cstdint>
#include <vector>

#include "fouctl/nl/message.hpp"
#include "fouctl/nl/socket.hpp"

namespace fouctl::nl {

struct FouPort {
  std::uint16_t port = 0;
  int family = 4;              // outer address family: 4 or 6 (fou6)
  std::uint8_t ipproto = 4;    // inner protocol in direct mode: 4 = IPIP
  std::uint8_t type = 1;       // FOU_ENCAP_DIRECT = 1, FOU_ENCAP_GUE = 2
  util::IpAddr local;          // bound address (kernel 5.2+), unset = any
  util::IpAddr peer;           // connected peer (kernel 5.2+), unset = anyone
  std::uint16_t peer_port = 0;
  std::int32_t ifindex = 0;

  // The equivalent iproute2 command, for echoing and messages.
  [[nodiscard]] std::string ip_command(const char *verb) const;
  bool operator==(const FouPort &) const = default;
};

constexpr int k_fou_genl_version = 1;

// ip fou add port PORT ipproto 4 [local A] [peer B peer_port P] [dev D]
Result<Message> build_fou_add(int family_id, const FouPort &p);
// ip fou del port PORT ... (the kernel matches the full tuple, so pass what a dump showed)
Result<Message> build_fou_del(int family_id, const FouPort &p);
// ip fou show
Result<Message> build_fou_dump(int family_id);
Result<FouPort> parse_fou(const Reply &r);

// Socket-level helpers.
Result<std::vector<FouPort>> fou_list(Socket &genl, int family_id);
Status fou_add(Socket &genl, int family_id, const FouPort &p);
Status fou_del(Socket &genl, int family_id, const FouPort &p);

} // namespace fouctl::nl
