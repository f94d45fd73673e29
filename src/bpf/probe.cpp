#include "fouctl/bpf/probe.hpp"

#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "fouctl/nl/lwt.hpp"

namespace fouctl::bpf {

namespace {

bool has_cap(int cap) {
  __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &head, data) != 0)
    return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

// An LWT BPF route with no program: a kernel with BPF routes parses the encap and
// refuses it (EINVAL, EBADF); one without answers EOPNOTSUPP. Never added either way.
bool has_lwt_bpf(nl::Socket &rt) {
  nl::LwtRoute r;
  r.dst = *util::parse_prefix("192.0.2.255/32", true); // TEST-NET-1
  r.oif = 1;                                           // lo
  r.prog_fd = -1;
  r.prog_name = "fouctl-probe";
  auto s = nl::lwt_route_add(rt, r);
  if (s) { // cannot happen; if it did, take it away again
    (void)nl::lwt_route_del(rt, r);
    return true;
  }
  return s.error().errnum != EOPNOTSUPP;
}

} // namespace

std::vector<std::string> probe(nl::Socket &rt) {
  std::vector<std::string> missing;
  if (!has_cap(CAP_NET_ADMIN))
    missing.emplace_back("CAP_NET_ADMIN");
  if (!has_cap(39 /* CAP_BPF, Linux 5.8+ */) && !has_cap(CAP_SYS_ADMIN))
    missing.emplace_back("CAP_BPF or CAP_SYS_ADMIN");
  if (!missing.empty())
    return missing; // the probes below need them
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SCHED_CLS, nullptr) != 1)
    missing.emplace_back("BPF traffic-control programs (CONFIG_BPF_SYSCALL, CONFIG_NET_CLS_BPF)");
  else if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_skb_adjust_room, nullptr) != 1)
    missing.emplace_back("the bpf_skb_adjust_room helper (Linux 4.13+)");
  if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_LWT_XMIT, nullptr) != 1 ||
      libbpf_probe_bpf_helper(BPF_PROG_TYPE_LWT_XMIT, BPF_FUNC_lwt_push_encap, nullptr) != 1)
    missing.emplace_back("BPF lightweight tunnels with bpf_lwt_push_encap (Linux 5.3+)");
  else if (!has_lwt_bpf(rt))
    missing.emplace_back("BPF routes (CONFIG_LWTUNNEL_BPF)");
  return missing;
}

} // namespace fouctl::bpf
