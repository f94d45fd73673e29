#include "fouctl/doctor/gather.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "fouctl/doctor/procfs.hpp"
#include "fouctl/kind/kind.hpp"
#include "fouctl/kmod/modules.hpp"
#include "fouctl/nl/link.hpp"
#include "fouctl/nl/route.hpp"

namespace fouctl::doctor {

namespace {

// /proc files are the kernel's, but bound what is read all the same.
constexpr std::size_t k_max_proc_file = 8u << 20;
// The fd scan that names a socket's process: at most this many /proc/PID/fd entries.
constexpr std::size_t k_max_fd_entries = 1u << 20;

// In pieces: sysctl files refuse a read larger than the kernel will allocate (ENOMEM).
std::optional<std::string> read_text(const std::string &path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::string text;
  char buf[65536];
  ssize_t n = 0;
  while (text.size() < k_max_proc_file && (n = ::read(fd, buf, sizeof buf)) > 0)
    text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (n < 0)
    return std::nullopt;
  return text;
}

// A sysctl file's integer.
std::optional<int> read_int(const std::string &path) {
  auto text = read_text(path);
  if (!text)
    return std::nullopt;
  try {
    return std::stoi(*text);
  } catch (const std::exception &) {
    return std::nullopt;
  }
}

// net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward (keys without device names).
std::optional<int> read_sysctl(const std::string &key) {
  std::string path = "/proc/sys/" + key;
  for (auto &c : path)
    if (c == '.')
      c = '/';
  return read_int(path);
}

// net.ipv4.conf.DEV.rp_filter: DEV taken as it is (names like "eth0.100" hold dots).
std::optional<int> read_conf(const std::string &dev, const std::string &key) {
  if (dev.empty() || dev.find('/') != std::string::npos || dev == "." || dev == "..")
    return std::nullopt;
  return read_int("/proc/sys/net/ipv4/conf/" + dev + "/" + key);
}

// One libkmod lookup per module and run, however many tunnels ask.
using ModuleCache = std::map<std::string, ModuleFacts>;

ModuleFacts module(ModuleCache &cache, const std::string &name, const std::string &option) {
  if (auto it = cache.find(name); it != cache.end())
    return it->second;
  auto s = kmod::module_state(name);
  ModuleFacts m{name, option};
  m.state = s.state == kmod::ModuleState::State::loaded      ? ModuleFacts::State::loaded
            : s.state == kmod::ModuleState::State::available ? ModuleFacts::State::available
                                                             : ModuleFacts::State::missing;
  m.why = s.why;
  cache.emplace(name, m);
  return m;
}

std::vector<ModuleFacts> modules_for(ModuleCache &cache, const backend::TunnelStatus &t) {
  const bool v6 = t.peer.family == 6;
  std::vector<ModuleFacts> out;
  out.push_back(v6 ? module(cache, "fou6", "CONFIG_IPV6_FOU") : module(cache, "fou", "CONFIG_NET_FOU"));
  for (const auto *k : kind::all())
    if (t.kind == k->name) {
      out.push_back(module(cache, k->module, k->config_option));
      return out;
    }
  out.push_back(v6 ? module(cache, "ip6_tunnel", "CONFIG_IPV6_TUNNEL")
                   : module(cache, "ipip", "CONFIG_NET_IPIP"));
  return out;
}

PathFacts path_to(nl::Socket &rt, const backend::TunnelStatus &t) {
  PathFacts p;
  if (t.peer.is_loopback()) {
    p.loopback_peer = true;
    return p;
  }
  auto r = nl::route_get(rt, t.peer, util::IpAddr{});
  if (!r) {
    p.error = r.error().describe();
    return p;
  }
  p.peer_is_local = r->type == RTN_LOCAL;
  p.route_mtu = r->mtu;
  p.prefsrc = r->prefsrc;
  if (auto l = nl::link_get(rt, r->oif)) {
    p.dev = l->name;
    p.dev_mtu = l->mtu;
  }
  if (t.local.is_set() && !t.local.is_unspecified())
    if (auto from = nl::route_get(rt, t.peer, t.local); !from)
      p.local_error = from.error().describe();
  return p;
}

// inode -> (pid, comm) for the inodes asked for, from /proc/PID/fd links "socket:[N]".
// `complete`: false when some process's fds could not be read (not root), so an inode
// not found may still be a process's.
std::map<std::uint64_t, std::pair<int, std::string>> socket_owners(const std::set<std::uint64_t> &want,
                                                                   bool &complete) {
  std::map<std::uint64_t, std::pair<int, std::string>> out;
  complete = true;
  if (want.empty())
    return out;
  std::unique_ptr<DIR, int (*)(DIR *)> proc(::opendir("/proc"), ::closedir);
  if (!proc)
    return out;
  std::size_t seen = 0;
  while (dirent *e = ::readdir(proc.get())) {
    char *end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0)
      continue;
    const std::string fd_dir = std::string("/proc/") + e->d_name + "/fd";
    std::unique_ptr<DIR, int (*)(DIR *)> fds(::opendir(fd_dir.c_str()), ::closedir);
    if (!fds) {
      complete = complete && errno != EACCES; // else gone, or a kernel thread
      continue;
    }
    while (dirent *fd = ::readdir(fds.get())) {
      if (++seen > k_max_fd_entries) {
        complete = false;
        return out;
      }
      char target[64];
      const auto path = fd_dir + "/" + fd->d_name;
      const ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
      if (n <= 0)
        continue;
      target[n] = '\0';
      std::uint64_t inode = 0;
      if (std::sscanf(target, "socket:[%lu]", &inode) != 1 || !want.contains(inode) ||
          out.contains(inode))
        continue;
      auto comm = read_text(std::string("/proc/") + e->d_name + "/comm").value_or("");
      if (!comm.empty() && comm.back() == '\n')
        comm.pop_back();
      out[inode] = {static_cast<int>(pid), printable(comm, 16)};
    }
  }
  return out;
}

} // namespace

std::vector<Facts> gather(std::vector<backend::TunnelStatus> tunnels, nl::Socket &rt,
                          const backend::Observed &obs, bool fou_ports_read) {
  const auto netstat = read_text("/proc/net/netstat").value_or("");
  const auto udp4 = read_text("/proc/net/udp").value_or("");
  const auto udp6 = read_text("/proc/net/udp6").value_or("");
  std::vector<Facts> out;
  std::set<std::uint64_t> inodes;
  ModuleCache modules;
  // Namespace-wide: read once for every tunnel.
  const auto rp_all = read_conf("all", "rp_filter");
  const auto rp_drops = parse_netstat(netstat, "TcpExt", "IPReversePathFilter");
  const auto forward4 = read_sysctl("net.ipv4.ip_forward");
  const auto forward6 = read_sysctl("net.ipv6.conf.all.forwarding");
  for (auto &t : tunnels) {
    Facts f;
    f.tunnel = std::move(t);
    const auto &s = f.tunnel;
    f.modules = modules_for(modules, s);
    f.path = path_to(rt, s);
    // Decapsulated packets appear on the tunnel's device, or with BPF on the underlay.
    f.rp_dev = s.mode == "bpf" ? s.underlay : s.name;
    f.rp_filter_all = rp_all;
    f.rp_filter_dev = read_conf(f.rp_dev, "rp_filter");
    f.rp_drops = rp_drops;
    bool v4 = false, v6 = false;
    for (const auto &p : s.routes)
      (p.addr.family == 6 ? v6 : v4) = true;
    f.forwarding = true;
    for (const auto &[on, value, key] : {std::tuple{v4, forward4, "net.ipv4.ip_forward"},
                                         std::tuple{v6, forward6, "net.ipv6.conf.all.forwarding"}})
      if (on && value.value_or(1) == 0) {
        f.forwarding = false;
        f.forwarding_keys.emplace_back(key);
      }
    for (auto &sock : parse_proc_udp(udp4, 4, s.rx_port))
      f.sockets.push_back(sock);
    for (auto &sock : parse_proc_udp(udp6, 6, s.rx_port))
      f.sockets.push_back(sock);
    for (const auto &sock : f.sockets)
      inodes.insert(sock.inode);
    f.fou_ports_read = fou_ports_read && s.mode == "kernel";
    if (f.fou_ports_read)
      f.fou_port = obs.fou_port(s.rx_port, s.peer.family == 6 ? 6 : 4);
    out.push_back(std::move(f));
  }
  bool complete = true;
  const auto owners = socket_owners(inodes, complete);
  for (auto &f : out)
    for (auto &sock : f.sockets)
      if (auto it = owners.find(sock.inode); it != owners.end())
        std::tie(sock.pid, sock.comm) = it->second;
      else if (!complete)
        sock.pid = k_pid_unknown;
  gather_firewall(out);
  return out;
}

} // namespace fouctl::doctor
