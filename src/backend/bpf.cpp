#include "fouctl/backend/bpf.hpp"

#include <linux/netlink.h>

#include <algorithm>
#include <cerrno>

#include "bpf_view.hpp"
#include "fouctl/bpf/pins.hpp"
#include "fouctl/bpf/probe.hpp"
#include "fouctl/bpf/tc.hpp"
#include "fouctl/nl/addr.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

const nl::LinkInfo *BpfView::link(int ifindex) const {
  auto it = std::find_if(links.begin(), links.end(), [&](auto &l) { return l.ifindex == ifindex; });
  return it == links.end() ? nullptr : &*it;
}

const nl::LinkInfo *BpfView::link(const std::string &name) const {
  auto it = std::find_if(links.begin(), links.end(), [&](auto &l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}

int BpfView::lo() const {
  const auto *l = link("lo");
  return l ? l->ifindex : 1;
}

std::vector<util::Prefix> BpfView::prefixes_of(std::uint32_t id) const {
  std::vector<util::Prefix> out;
  for (const auto &[p, tid] : lpm)
    if (tid == id)
      out.push_back(p);
  std::sort(out.begin(), out.end());
  return out;
}

const nl::LwtRoute *BpfView::route(const util::Prefix &p, int ifindex) const {
  for (const auto &r : routes)
    if (r.dst == p && r.oif == ifindex && r.protocol == nl::k_rtprot_fouctl &&
        r.prog_name.rfind(bpf::k_encap_prog, 0) == 0)
      return &r;
  return nullptr;
}

const nl::HostAddr *BpfView::host_addr(const util::IpAddr &a) const {
  for (const auto &h : addrs)
    if (h.ifindex == lo() && h.prefix.addr == a && h.proto == nl::k_rtprot_fouctl)
      return &h;
  return nullptr;
}

const std::pair<std::uint32_t, fouctl_tunnel> *BpfView::by_name(const std::string &n) const {
  for (const auto &t : tunnels)
    if (bpf::name_of(t.second) == n)
      return &t;
  return nullptr;
}

util::Prefix host_prefix(const util::Prefix &p) {
  return {p.addr, p.addr.family == 6 ? 128 : 32};
}

Result<BpfView> read_view(nl::Socket &rt, bool create) {
  BpfView v;
  FOUCTL_TRY_ASSIGN(v.pins, bpf::pin_dir(create));
  FOUCTL_TRY_ASSIGN(v.dp, bpf::Datapath::find(v.pins ? &*v.pins : nullptr));
  FOUCTL_TRY_ASSIGN(v.links, nl::link_list(rt, false).map_error(util::context("listing links")));
  FOUCTL_TRY_ASSIGN(v.addrs, nl::host_addr_list(rt).map_error(util::context("listing addresses")));
  FOUCTL_TRY_ASSIGN(v.routes, nl::lwt_route_list(rt).map_error(util::context("listing routes")));
  if (v.dp && v.dp->map(bpf::MapId::tunnels) >= 0) {
    bpf::Tables tables(*v.dp);
    v.tunnels = tables.tunnels();
    if (v.dp->map(bpf::MapId::route4) >= 0 && v.dp->map(bpf::MapId::route6) >= 0)
      v.lpm = tables.routes();
  }
  return v;
}

TunnelStatus status_of(const BpfView &v, std::uint32_t id, const fouctl_tunnel &t) {
  TunnelStatus s;
  s.name = bpf::name_of(t);
  s.mode = "bpf";
  s.ifindex = static_cast<int>(t.ifindex);
  if (const auto *l = v.link(s.ifindex))
    s.underlay = l->name;
  const auto filter = bpf::decap_filter(s.ifindex);
  const bool decap_ours = filter && v.dp && v.dp->decap_fd() >= 0 &&
                          *filter == bpf::Datapath::prog_id(v.dp->decap_fd());
  s.rx_port = be16toh(t.rx_port);
  s.tx_port = be16toh(t.tx_port);
  bool rx_ok = false;
  if (v.dp && v.dp->map(bpf::MapId::rx) >= 0)
    rx_ok = bpf::Tables(*v.dp).rx(bpf::rx_key_of(t)) == id;
  s.rx_port_open = decap_ours && rx_ok;
  s.up = s.rx_port_open;
  s.peer = bpf::peer_of(t);
  s.local = bpf::local_of(t);
  s.mtu = t.mtu;
  s.mtu_auto = t.mtu_auto != 0;
  s.encap = t.encap == FOUCTL_BPF_ENCAP_GUE ? "gue" : "fou";
  s.peer_port_fixed = t.bind_peer != 0;
  for (const auto &p : v.prefixes_of(id))
    if (v.route(p, s.ifindex)) {
      s.routes.push_back(p);
      s.owned_routes.push_back(p);
    }
  s.addresses = bpf::addresses_of(t);
  if (v.dp && v.dp->map(bpf::MapId::stats) >= 0) {
    auto st = bpf::Tables(*v.dp).stats(id);
    s.counters.rx_packets = st.rx_packets;
    s.counters.rx_bytes = st.rx_bytes;
    s.counters.tx_packets = st.tx_packets;
    s.counters.tx_bytes = st.tx_bytes;
    s.counters.rx_dropped = st.malformed + st.redirect_failed;
    s.counters.tx_dropped = st.too_big + st.encap_failed;
    s.drops = {{"malformed", st.malformed},       {"foreign_source", st.foreign_source},
               {"too_big", st.too_big},           {"encap_failed", st.encap_failed},
               {"redirect_failed", st.redirect_failed}};
  }
  return s;
}

Result<BpfBackend> BpfBackend::open() {
  FOUCTL_TRY_ASSIGN(auto rt, nl::Socket::open(NETLINK_ROUTE));
  return BpfBackend(std::move(rt));
}

bool bpf_unusable(const util::Error &e) {
  return e.errnum == EPERM || e.errnum == ENOSYS || e.errnum == EOPNOTSUPP;
}

std::vector<std::string> BpfBackend::missing() { return bpf::probe(m_rt); }

Result<std::vector<TunnelStatus>> BpfBackend::list() {
  FOUCTL_TRY_ASSIGN(auto v, read_view(m_rt, false));
  std::vector<TunnelStatus> out;
  for (const auto &[id, t] : v.tunnels)
    out.push_back(status_of(v, id, t));
  return out;
}

Result<std::optional<std::string>> BpfBackend::down(const std::string &name, std::uint16_t rx_port,
                                                    Reporter &reporter) {
  FOUCTL_TRY_ASSIGN(auto v, read_view(m_rt, false));
  const std::pair<std::uint32_t, fouctl_tunnel> *found = nullptr;
  for (const auto &t : v.tunnels)
    if (name.empty() ? be16toh(t.second.rx_port) == rx_port : bpf::name_of(t.second) == name)
      found = &t;
  if (found == nullptr || !v.dp)
    return std::optional<std::string>();
  // Not a structured binding: the lambdas below capture them, which clang 14 refuses.
  const std::uint32_t id = found->first;
  const fouctl_tunnel &t = found->second;
  const bpf::Tables tables(*v.dp);
  const int ifindex = static_cast<int>(t.ifindex);
  const auto *ul = v.link(ifindex);
  const std::string dev = ul ? ul->name : "#" + std::to_string(ifindex);
  Status first_error;
  auto keep = [&](Status s) {
    if (!s && first_error)
      first_error = s;
  };
  for (const auto &p : v.prefixes_of(id)) {
    if (const auto *r = v.route(p, ifindex)) {
      reporter.action("ip route del " + p.to_string() + " dev " + dev + " proto " +
                      std::to_string(nl::k_rtprot_fouctl));
      auto s = nl::lwt_route_del(m_rt, *r);
      if (!s && s.error().errnum != ESRCH)
        keep(s.map_error(util::context("removing route " + p.to_string())));
    }
    keep(tables.del_route(p));
  }
  for (const auto &a : bpf::addresses_of(t)) {
    if (const auto *h = v.host_addr(a.addr)) {
      reporter.action("ip addr del " + h->prefix.to_string() + " dev lo");
      auto s = nl::addr_del(m_rt, nl::AddrInfo{h->ifindex, h->prefix});
      if (!s && s.error().errnum != EADDRNOTAVAIL)
        keep(s.map_error(util::context("removing address " + h->prefix.to_string())));
    }
  }
  reporter.action("bpf fou_rx[" + bpf::local_of(t).to_string() + ":" +
                  std::to_string(be16toh(t.rx_port)) + "] delete");
  keep(tables.del_rx(bpf::rx_key_of(t)));
  reporter.action("bpf fou_tunnels[" + std::to_string(id) + "] delete (" + bpf::name_of(t) + ")");
  keep(tables.clear_tunnel(id));

  const bool device_used = std::any_of(v.tunnels.begin(), v.tunnels.end(), [&](auto &o) {
    return o.first != id && o.second.ifindex == t.ifindex;
  });
  if (!device_used && ul) {
    if (bpf::decap_filter(ifindex)) {
      reporter.action(bpf::tc_filter_command("del", dev));
      keep(bpf::detach_decap(ifindex));
    }
    if (t.clsact_ours) {
      // Only a qdisc fouctl made, and only when nobody attached anything since.
      auto foreign = bpf::has_foreign_filters(m_rt, ifindex);
      if (foreign && !*foreign) {
        reporter.action("tc qdisc del dev " + dev + " clsact");
        keep(bpf::del_clsact(ifindex));
      }
    }
  }
  if (v.tunnels.size() == 1 && v.pins) {
    reporter.action("rm -r " + *v.pins + "   # the last bpf tunnel: unpin the datapath");
    keep(bpf::remove_pins(*v.pins));
  }
  FOUCTL_TRY(std::move(first_error));
  return std::optional<std::string>(bpf::name_of(t));
}

} // namespace fouctl::backend
