// The checks on this host's side of a tunnel: kernel modules, the receive port, checksum
// offload, counters. Pure: they read Facts only.
#include <algorithm>

#include <fmt/format.h>

#include "fouctl/doctor/checks.hpp"
#include "fouctl/kind/kind.hpp"

namespace fouctl::doctor {

namespace {

Finding make(const char *check, Severity s, std::string message) {
  return Finding{check, s, std::move(message)};
}

std::string holder(const SocketFacts &s) {
  // comm is what the process calls itself: quoted, and cut short.
  if (s.pid == k_pid_unknown)
    return "a process doctor may not look into (run it as root to know)";
  return s.pid == 0 ? "a socket no process holds (the kernel's)"
                    : fmt::format("pid {} ('{}')", s.pid, s.comm.substr(0, 16));
}

std::string socket_text(const SocketFacts &s) {
  return fmt::format("UDP socket {}:{} inode {} of {}, {} drops", s.local.to_string(), s.port,
                     s.inode, holder(s), s.drops);
}

// The FOU port a kernel tunnel of this kind and encapsulation needs.
const kind::Kind *kind_named(const std::string &name) {
  for (const auto *k : kind::all())
    if (name == k->name)
      return k;
  return nullptr;
}

} // namespace

Finding check_kernel(const Facts &f) {
  const auto &t = f.tunnel;
  std::vector<const ModuleFacts *> missing;
  std::string loaded;
  for (const auto &m : f.modules) {
    if (m.state == ModuleFacts::State::missing)
      missing.push_back(&m);
    else
      loaded += (loaded.empty() ? "" : ", ") + m.name +
                (m.state == ModuleFacts::State::loaded ? " loaded" : " loadable");
  }
  if (missing.empty())
    return make("kernel", Severity::ok,
                t.mode == "kernel" ? "kernel FOU: " + loaded
                                   : "the kernel could carry FOU (" + loaded + "); this tunnel uses " +
                                         (t.mode == "bpf" ? "the BPF datapath" : "the userspace relay"));
  const auto &m = *missing.front();
  std::string what = fmt::format("the kernel has no '{}' module ({})", m.name, m.option);
  Finding r;
  if (t.mode == "userspace") {
    r = make("kernel", Severity::warn, what + ": this tunnel runs on the userspace relay");
    r.evidence.push_back("the relay copies every packet through a process; kernel FOU or the BPF "
                         "datapath (--mode bpf) carry more");
  } else {
    r = make("kernel", t.mode == "bpf" ? Severity::ok : Severity::fail,
             what + (t.mode == "bpf" ? ": this tunnel uses the BPF datapath" : ""));
  }
  for (const auto *x : missing)
    r.evidence.push_back(fmt::format("{} ({}): {}", x->name, x->option, x->why));
  if (t.mode != "bpf")
    r.fix = fmt::format("a kernel built with {}=m (Debian's stock kernels have it)", m.option);
  return r;
}

Finding check_port(const Facts &f) {
  const auto &t = f.tunnel;
  const std::string port = "receive port " + std::to_string(t.rx_port);
  std::vector<const SocketFacts *> others;
  const SocketFacts *own = nullptr;
  bool unknown = false;
  for (const auto &s : f.sockets) {
    if (s.pid == k_pid_unknown) {
      unknown = true;
      continue;
    }
    if (t.mode == "userspace" && s.pid == t.pid && own == nullptr)
      own = &s;
    else if (t.mode == "kernel" && s.pid == 0 && own == nullptr)
      own = &s;
    else
      others.push_back(&s);
  }
  if (t.mode == "kernel") {
    const kind::Kind *k = kind_named(t.kind);
    const std::uint8_t type = t.encap == "gue" ? 2 : 1;
    if (f.fou_ports_read && !f.fou_port) {
      auto r = make("port", Severity::fail, "the FOU " + port + " is not open: nothing receives the peer's datagrams");
      for (const auto *s : others)
        r.evidence.push_back("held instead by " + socket_text(*s));
      r.fix = "the same fouctl up again (or fouctl apply, for a tunnel of the config)";
      return r;
    }
    if (f.fou_port && (f.fou_port->type != type || (type == 1 && k && f.fou_port->ipproto != k->ipproto))) {
      auto r = make("port", Severity::fail,
                    "the FOU " + port + " is not this tunnel's: another owner made it for other traffic");
      r.evidence.push_back("found: " + f.fou_port->ip_command("add"));
      r.evidence.push_back(fmt::format("the tunnel ({}, {}) needs {}", t.kind, t.encap,
                                       type == 2 ? std::string("a GUE port")
                                                 : "ipproto " + std::to_string(k ? k->ipproto : 4)));
      r.fix = f.fou_port->ip_command("del") + "  (the other owner's port), then the same fouctl up (or apply) again";
      return r;
    }
  }
  if (unknown && own == nullptr && others.empty())
    return make("port", t.mode == "bpf" ? Severity::warn : Severity::ok,
                port + " has a socket; whose could not be seen (/proc/PID/fd needs root)");
  if (t.mode == "userspace" && own == nullptr) {
    auto r = make("port", Severity::fail, "the relay (pid " + std::to_string(t.pid) + ") does not hold the " + port);
    for (const auto *s : others)
      r.evidence.push_back(socket_text(*s));
    return r;
  }
  if (!others.empty()) {
    auto r = make("port", Severity::warn,
                  t.mode == "bpf" ? "another socket is bound to the " + port +
                                        ": the BPF datapath takes the peer's datagrams before it"
                                  : "another socket shares the " + port);
    for (const auto *s : others)
      r.evidence.push_back(socket_text(*s));
    return r;
  }
  if (own != nullptr && own->drops > 0) {
    auto r = make("port", Severity::warn,
                  fmt::format("the {} socket dropped {} datagrams: its receive buffer was full",
                              t.mode == "kernel" ? "FOU" : "relay's", own->drops));
    r.evidence.push_back(socket_text(*own));
    r.fix = "sysctl -w net.core.rmem_default=4194304  (a larger receive buffer)";
    return r;
  }
  return make("port", Severity::ok,
              t.mode == "bpf" ? port + ": taken by the BPF datapath at tc ingress"
                              : port + " is open" + (own ? fmt::format(" ({} drops)", own->drops) : ""));
}

Finding check_offload(const Facts &f) {
  const auto &t = f.tunnel;
  if (!t.offload)
    return make("offload", Severity::ok, "tx checksum offload could not be read");
  if (*t.offload && t.peer.is_loopback()) {
    auto r = make("offload", Severity::warn,
                  "tx checksum offload is on with a loopback peer: a program on this host reads "
                  "packets whose inner checksums are not finished");
    r.evidence.push_back("ethtool -k " + t.name + ": tx-checksumming on; peer " + t.peer.to_string());
    r.fix = "ethtool -K " + t.name + " tx off  (or \"offload\": \"auto\" in the config)";
    return r;
  }
  if (!*t.offload && !t.peer.is_loopback())
    return make("offload", Severity::ok,
                "tx checksum offload is off (correct for any peer, but slower to a kernel peer)");
  return make("offload", Severity::ok,
              std::string("tx checksum offload is ") + (*t.offload ? "on" : "off") + " for a " +
                  (t.peer.is_loopback() ? "loopback" : "remote") + " peer");
}

Finding check_counters(const Facts &f) {
  const auto &t = f.tunnel;
  const auto &c = t.counters;
  const std::string counts = fmt::format("rx {} packets, tx {} packets", c.rx_packets, c.tx_packets);
  std::vector<std::string> drops;
  for (const auto &[reason, n] : t.drops)
    if (n > 0)
      drops.push_back(fmt::format("{} {}", reason, n));
  if (c.rx_dropped + c.tx_dropped + c.rx_errors + c.tx_errors > 0)
    drops.push_back(fmt::format("device: rx dropped {}, tx dropped {}, rx errors {}, tx errors {}",
                                c.rx_dropped, c.tx_dropped, c.rx_errors, c.tx_errors));
  if (c.tx_packets > 0 && c.rx_packets == 0) {
    auto r = make("counters", Severity::warn,
                  "one-way tunnel: packets go out but none has come back (" + counts + ")");
    r.evidence.push_back("the peer's datagrams do not arrive or are not accepted: check the peer's "
                         "side (its TX_PORT must be this tunnel's RX_PORT " +
                         std::to_string(t.rx_port) + ") and the findings above");
    for (auto &d : drops)
      r.evidence.push_back(d);
    return r;
  }
  if (!drops.empty()) {
    auto r = make("counters", Severity::warn, "packets were dropped (" + counts + ")");
    r.evidence = drops;
    return r;
  }
  return make("counters", Severity::ok, counts + ", no drops");
}

} // namespace fouctl::doctor
