#include "fouctl/bpf/tc.hpp"

#include <bpf/libbpf.h>

#include <cerrno>

#include <fmt/format.h>

#include "fouctl/nl/tc.hpp"

namespace fouctl::bpf {

using util::ErrorKind;
using util::fail;
using util::Status;

namespace {

bpf_tc_hook hook_of(int ifindex, bpf_tc_attach_point where = BPF_TC_INGRESS) {
  LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = ifindex, .attach_point = where);
  return h;
}

Status tc_error(int rc, const std::string &what) {
  auto e = util::fail_errno(what, -rc);
  if (-rc == EOPNOTSUPP || -rc == ENOENT)
    e.value().hint = "the kernel may lack the clsact qdisc or the bpf classifier "
                     "(CONFIG_NET_SCH_INGRESS, CONFIG_NET_CLS_BPF)";
  return e;
}

} // namespace

std::optional<std::uint32_t> decap_filter(int ifindex) {
  auto h = hook_of(ifindex);
  LIBBPF_OPTS(bpf_tc_opts, o, .handle = k_tc_handle, .priority = k_tc_priority);
  if (bpf_tc_query(&h, &o) != 0)
    return std::nullopt;
  return o.prog_id;
}

util::Result<bool> add_clsact(int ifindex) {
  auto h = hook_of(ifindex);
  int rc = bpf_tc_hook_create(&h);
  if (rc == -EEXIST)
    return false;
  if (rc != 0)
    return tl::unexpected(tc_error(rc, "adding a clsact qdisc").error());
  return true;
}

Status attach_decap(int ifindex, int prog_fd) {
  auto h = hook_of(ifindex);
  LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
              .handle = k_tc_handle, .priority = k_tc_priority);
  if (int rc = bpf_tc_attach(&h, &o); rc != 0)
    return tc_error(rc, "attaching fou_decap to the ingress hook");
  return {};
}

Status detach_decap(int ifindex) {
  auto h = hook_of(ifindex);
  LIBBPF_OPTS(bpf_tc_opts, o, .handle = k_tc_handle, .priority = k_tc_priority);
  int rc = bpf_tc_detach(&h, &o);
  if (rc != 0 && rc != -ENOENT && rc != -EINVAL && rc != -ENODEV)
    return tc_error(rc, "detaching fou_decap");
  return {};
}

util::Result<bool> has_foreign_filters(nl::Socket &rt, int ifindex) {
  for (auto parent : {nl::k_tc_parent_ingress, nl::k_tc_parent_egress}) {
    FOUCTL_TRY_ASSIGN(auto filters, nl::filter_list(rt, ifindex, parent));
    for (const auto &f : filters)
      if (parent != nl::k_tc_parent_ingress || f.priority != k_tc_priority)
        return true;
  }
  return false;
}

Status del_clsact(int ifindex) {
  auto both = hook_of(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  int rc = bpf_tc_hook_destroy(&both);
  if (rc != 0 && rc != -ENOENT && rc != -EINVAL && rc != -ENODEV)
    return tc_error(rc, "removing the clsact qdisc");
  return {};
}

std::string tc_filter_command(const std::string &verb, const std::string &dev) {
  return "tc filter " + verb + " dev " + dev + " ingress pref " + std::to_string(k_tc_priority) +
         fmt::format(" handle {:#x} bpf", k_tc_handle) +
         (verb == "del" ? "" : " direct-action object-pinned fou_decap");
}

} // namespace fouctl::bpf
