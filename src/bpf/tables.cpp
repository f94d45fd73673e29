#include "fouctl/bpf/tables.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace fouctl::bpf {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

std::uint32_t headroom(const util::IpAddr &peer, config::Encap e) {
  return config::outer_overhead(peer, e);
}

static void copy_addr(std::uint8_t (&out)[16], const util::IpAddr &a) {
  std::memcpy(out, a.bytes.data(), a.size());
}

Result<fouctl_tunnel> make_entry(const config::TunnelSpec &spec, const util::IpAddr &local,
                                 int ifindex) {
  if (spec.addresses.size() > FOUCTL_BPF_MAX_ADDRS)
    return fail(ErrorKind::usage, "--mode bpf takes at most " +
                                      std::to_string(FOUCTL_BPF_MAX_ADDRS) + " addresses");
  if ((spec.peer.family != 4 && spec.peer.family != 6) || local.family != spec.peer.family)
    return fail(ErrorKind::usage, "--mode bpf needs a peer and a local address of one family, "
                                  "not '" + spec.peer.to_string() + "' and '" +
                                      local.to_string() + "'");
  fouctl_tunnel t{};
  t.in_use = 1;
  t.encap = spec.encap == config::Encap::gue ? FOUCTL_BPF_ENCAP_GUE : FOUCTL_BPF_ENCAP_FOU;
  t.bind_peer = spec.peer_port_fixed ? 1 : 0;
  t.family = static_cast<std::uint8_t>(spec.peer.family);
  t.rx_port = htobe16(spec.rx_port);
  t.tx_port = htobe16(spec.tx_port);
  copy_addr(t.local, local);
  copy_addr(t.peer, spec.peer);
  t.ttl = 64; // what fouctl's ipip and ip6tnl devices use (the hop limit over IPv6)
  t.ifindex = static_cast<std::uint32_t>(ifindex);
  t.mtu = spec.mtu;
  t.mtu_auto = spec.mtu_auto ? 1 : 0;
  t.local_given = spec.local.is_set() ? 1 : 0;
  std::memcpy(t.name, spec.name.data(), std::min(spec.name.size(), sizeof t.name - 1));
  for (std::size_t i = 0; i < spec.addresses.size(); ++i) {
    auto &a = t.addrs[i];
    a.family = static_cast<std::uint8_t>(spec.addresses[i].addr.family);
    a.prefixlen = static_cast<std::uint8_t>(spec.addresses[i].len);
    copy_addr(a.addr, spec.addresses[i].addr);
  }
  return t;
}

std::string name_of(const fouctl_tunnel &t) { return std::string(t.name, strnlen(t.name, sizeof t.name)); }
// The maps keep families as 4 and 6 (like util::IpAddr); from_bytes wants AF_*.
static int af_of(int family) { return family == 6 ? AF_INET6 : AF_INET; }

util::IpAddr local_of(const fouctl_tunnel &t) {
  return util::IpAddr::from_bytes(af_of(t.family), t.local, t.family == 6 ? 16 : 4);
}
util::IpAddr peer_of(const fouctl_tunnel &t) {
  return util::IpAddr::from_bytes(af_of(t.family), t.peer, t.family == 6 ? 16 : 4);
}

std::vector<util::Prefix> addresses_of(const fouctl_tunnel &t) {
  std::vector<util::Prefix> out;
  for (const auto &a : t.addrs)
    if (a.family == 4 || a.family == 6)
      out.push_back({util::IpAddr::from_bytes(af_of(a.family), a.addr, a.family == 4 ? 4 : 16),
                     a.prefixlen});
  return out;
}

fouctl_rx_key rx_key_of(const fouctl_tunnel &t) {
  fouctl_rx_key k{};
  std::memcpy(k.local, t.local, sizeof k.local);
  k.port = t.rx_port;
  k.family = t.family;
  return k;
}

bool same_tunnel(const fouctl_tunnel &a, const fouctl_tunnel &b) {
  fouctl_tunnel x = a, y = b;
  x.clsact_ours = y.clsact_ours = 0;
  return std::memcmp(&x, &y, sizeof x) == 0;
}

fouctl_stats sum(const std::vector<fouctl_stats> &per_cpu) {
  fouctl_stats s{};
  for (const auto &c : per_cpu) {
    s.rx_packets += c.rx_packets;
    s.rx_bytes += c.rx_bytes;
    s.tx_packets += c.tx_packets;
    s.tx_bytes += c.tx_bytes;
    s.malformed += c.malformed;
    s.foreign_source += c.foreign_source;
    s.no_tunnel += c.no_tunnel;
    s.too_big += c.too_big;
    s.encap_failed += c.encap_failed;
    s.redirect_failed += c.redirect_failed;
  }
  return s;
}

std::vector<std::pair<std::uint32_t, fouctl_tunnel>> Tables::tunnels() const {
  std::vector<std::pair<std::uint32_t, fouctl_tunnel>> out;
  for (std::uint32_t id = 0; id < FOUCTL_BPF_STATS_NO_TUNNEL; ++id) {
    fouctl_tunnel t{};
    if (bpf_map_lookup_elem(m_d.map(MapId::tunnels), &id, &t) == 0 && t.in_use)
      out.emplace_back(id, t);
  }
  return out;
}

Result<std::uint32_t> Tables::free_id() const {
  for (std::uint32_t id = 0; id < FOUCTL_BPF_STATS_NO_TUNNEL; ++id) {
    fouctl_tunnel t{};
    if (bpf_map_lookup_elem(m_d.map(MapId::tunnels), &id, &t) == 0 && !t.in_use)
      return id;
  }
  return fail(ErrorKind::conflict, "this namespace has " +
                                       std::to_string(FOUCTL_BPF_STATS_NO_TUNNEL) +
                                       " bpf tunnels already, the most it can have");
}

Status Tables::put_tunnel(std::uint32_t id, const fouctl_tunnel &t) const {
  if (bpf_map_update_elem(m_d.map(MapId::tunnels), &id, &t, BPF_ANY) != 0)
    return util::fail_errno("writing fou_tunnels[" + std::to_string(id) + "]", errno);
  return {};
}

Status Tables::clear_tunnel(std::uint32_t id) const { return put_tunnel(id, fouctl_tunnel{}); }

std::optional<std::uint32_t> Tables::rx(const fouctl_rx_key &key) const {
  std::uint32_t id = 0;
  if (bpf_map_lookup_elem(m_d.map(MapId::rx), &key, &id) != 0)
    return std::nullopt;
  return id;
}

Status Tables::put_rx(const fouctl_rx_key &key, std::uint32_t id) const {
  if (bpf_map_update_elem(m_d.map(MapId::rx), &key, &id, BPF_ANY) != 0)
    return util::fail_errno("writing fou_rx", errno);
  return {};
}

Status Tables::del_rx(const fouctl_rx_key &key) const {
  if (bpf_map_delete_elem(m_d.map(MapId::rx), &key) != 0 && errno != ENOENT)
    return util::fail_errno("deleting from fou_rx", errno);
  return {};
}

namespace {

template <typename Key> Key lpm_key(const util::Prefix &p) {
  Key k{};
  k.prefixlen = static_cast<std::uint32_t>(p.len);
  std::memcpy(k.addr, p.addr.bytes.data(), sizeof k.addr);
  return k;
}

template <typename Key>
void list_lpm(int fd, int family, std::vector<std::pair<util::Prefix, std::uint32_t>> &out) {
  Key key{}, next{};
  const void *prev = nullptr; // the first call asks for the first key
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    std::uint32_t id = 0;
    if (bpf_map_lookup_elem(fd, &next, &id) == 0)
      out.push_back({{util::IpAddr::from_bytes(af_of(family), next.addr, sizeof next.addr),
                      static_cast<int>(next.prefixlen)},
                     id});
    key = next;
    prev = &key;
  }
}

} // namespace

std::vector<std::pair<util::Prefix, std::uint32_t>> Tables::routes() const {
  std::vector<std::pair<util::Prefix, std::uint32_t>> out;
  list_lpm<fouctl_lpm4>(m_d.map(MapId::route4), 4, out);
  list_lpm<fouctl_lpm6>(m_d.map(MapId::route6), 6, out);
  return out;
}

Status Tables::put_route(const util::Prefix &p, std::uint32_t id) const {
  const auto k4 = lpm_key<fouctl_lpm4>(p);
  const auto k6 = lpm_key<fouctl_lpm6>(p);
  int rc = p.addr.family == 4 ? bpf_map_update_elem(m_d.map(MapId::route4), &k4, &id, BPF_ANY)
                              : bpf_map_update_elem(m_d.map(MapId::route6), &k6, &id, BPF_ANY);
  if (rc != 0)
    return util::fail_errno("writing " + p.to_string() + " into fou_route" +
                                (p.addr.family == 4 ? "4" : "6"),
                            errno);
  return {};
}

Status Tables::del_route(const util::Prefix &p) const {
  const auto k4 = lpm_key<fouctl_lpm4>(p);
  const auto k6 = lpm_key<fouctl_lpm6>(p);
  int rc = p.addr.family == 4 ? bpf_map_delete_elem(m_d.map(MapId::route4), &k4)
                              : bpf_map_delete_elem(m_d.map(MapId::route6), &k6);
  if (rc != 0 && errno != ENOENT)
    return util::fail_errno("deleting " + p.to_string() + " from the LPM map", errno);
  return {};
}

fouctl_stats Tables::stats(std::uint32_t id) const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return {};
  std::vector<fouctl_stats> per_cpu(static_cast<std::size_t>(cpus));
  if (bpf_map_lookup_elem(m_d.map(MapId::stats), &id, per_cpu.data()) != 0)
    return {};
  return sum(per_cpu);
}

Status Tables::reset_stats(std::uint32_t id) const {
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0)
    return util::fail_errno("counting the possible CPUs", -cpus);
  std::vector<fouctl_stats> zero(static_cast<std::size_t>(cpus));
  if (bpf_map_update_elem(m_d.map(MapId::stats), &id, zero.data(), BPF_ANY) != 0)
    return util::fail_errno("resetting fou_stats[" + std::to_string(id) + "]", errno);
  return {};
}

} // namespace fouctl::bpf
