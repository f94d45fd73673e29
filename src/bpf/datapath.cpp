#include "fouctl/bpf/datapath.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "fouctl/bpf/embedded.hpp"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 // Linux 5.14+, asm-generic/socket.h
#endif

namespace fouctl::bpf {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;
using util::UniqueFd;

namespace {

// libbpf prints through one process-wide callback. fouctl's core never prints: the text
// (the verifier's log above all) is kept and goes into the error of a failed load.
std::string g_libbpf_log;

int keep_libbpf_log(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG)
    return 0;
  // One call may carry the whole verifier log (tens of KiB), whose end says what failed:
  // sized first, never cut to a fixed line buffer.
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, format, args);
  if (n > 0 && g_libbpf_log.size() < 256 * 1024) {
    std::string line(static_cast<std::size_t>(n) + 1, '\0');
    std::vsnprintf(line.data(), line.size(), format, again);
    line.pop_back();
    g_libbpf_log += line;
  }
  va_end(again);
  return 0;
}

// The last lines of what libbpf said, for an error message.
std::string libbpf_log_tail() {
  constexpr std::size_t k_tail = 1500;
  std::string s = g_libbpf_log;
  g_libbpf_log.clear();
  if (s.size() > k_tail)
    s = "..." + s.substr(s.size() - k_tail);
  while (!s.empty() && s.back() == '\n')
    s.pop_back();
  return s;
}

std::size_t map_index(const std::string &name) {
  for (std::size_t i = 0; i < k_map_names.size(); ++i)
    if (name == k_map_names[i])
      return i;
  return k_map_names.size();
}

bool same_namespace(const fouctl_meta &a, const fouctl_meta &b) {
  if (a.netns_cookie != 0 && b.netns_cookie != 0)
    return a.netns_cookie == b.netns_cookie;
  return a.netns_dev == b.netns_dev && a.netns_ino == b.netns_ino;
}

enum class Whose { ours, other_namespace, other_layout };

Whose whose(int meta_fd, const fouctl_meta &me) {
  std::uint32_t key = 0;
  fouctl_meta m{};
  if (bpf_map_lookup_elem(meta_fd, &key, &m) != 0)
    return Whose::other_namespace;
  if (!same_namespace(m, me))
    return Whose::other_namespace;
  return m.abi == FOUCTL_BPF_ABI ? Whose::ours : Whose::other_layout;
}

Status refuse_layout() {
  auto e = fail(ErrorKind::conflict,
                "this namespace's BPF datapath was loaded by another fouctl version (map "
                "layout " "differs)");
  e.value().hint = "take its bpf tunnels down with the fouctl that made them, then up again";
  return e;
}

std::string map_name_of(int fd) {
  bpf_map_info info{};
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return {};
  return info.name;
}

// A program's type, name and map ids.
struct ProgInfo {
  std::uint32_t type = 0;
  std::string name;
  std::vector<std::uint32_t> map_ids;
};

std::optional<ProgInfo> prog_info(int fd) {
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
    return std::nullopt;
  ProgInfo p;
  p.type = info.type;
  p.name = info.name;
  if (info.nr_map_ids == 0)
    return p;
  p.map_ids.resize(info.nr_map_ids);
  bpf_prog_info again{};
  again.nr_map_ids = info.nr_map_ids;
  again.map_ids = reinterpret_cast<std::uintptr_t>(p.map_ids.data());
  len = sizeof again;
  if (bpf_obj_get_info_by_fd(fd, &again, &len) != 0)
    return std::nullopt;
  p.map_ids.resize(std::min<std::size_t>(again.nr_map_ids, p.map_ids.size()));
  return p;
}

} // namespace

Result<fouctl_meta> this_namespace() {
  fouctl_meta me{};
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0)
    return util::fail_errno("reading this process's network namespace", errno);
  me.netns_dev = st.st_dev;
  me.netns_ino = st.st_ino;
  me.abi = FOUCTL_BPF_ABI;
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  std::uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (s.valid() && ::getsockopt(s.get(), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0)
    me.netns_cookie = cookie; // else 0: an older kernel, dev and inode decide
  return me;
}

std::uint32_t Datapath::prog_id(int fd) {
  bpf_prog_info info{};
  std::uint32_t len = sizeof info;
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

bool Datapath::complete() const {
  for (const auto &m : m_maps)
    if (!m.valid())
      return false;
  return m_encap.valid() && m_decap.valid();
}

Result<std::optional<Datapath>> Datapath::find(const std::string *pin_dir) {
  FOUCTL_TRY_ASSIGN(const fouctl_meta me, this_namespace());
  if (pin_dir != nullptr) {
    Datapath d;
    d.m_from_pins = true;
    bool any = false;
    for (std::size_t i = 0; i < k_map_names.size(); ++i) {
      UniqueFd fd(bpf_obj_get((*pin_dir + "/" + k_map_names[i]).c_str()));
      if (fd.valid() && map_name_of(fd.get()) == k_map_names[i]) {
        d.m_maps[i] = std::move(fd);
        any = true;
      }
    }
    for (auto [name, slot] : {std::pair{k_encap_prog, &d.m_encap}, {k_decap_prog, &d.m_decap}}) {
      UniqueFd fd(bpf_obj_get((*pin_dir + "/" + name).c_str()));
      if (auto p = fd.valid() ? prog_info(fd.get()) : std::nullopt; p && p->name == name) {
        *slot = std::move(fd);
        any = true;
      }
    }
    if (any && d.map(MapId::meta) >= 0) {
      switch (whose(d.map(MapId::meta), me)) {
      case Whose::ours:
        return std::optional<Datapath>(std::move(d));
      case Whose::other_layout:
        return tl::unexpected(refuse_layout().error());
      case Whose::other_namespace:
        break; // pins of a namespace that is gone and whose key was reused: ignore them
      }
    }
  }

  // Through the programs the kernel runs: each uses fou_meta, which names its namespace.
  Datapath d;
  bool any = false;
  std::uint32_t id = 0;
  while (true) {
    if (bpf_prog_get_next_id(id, &id) != 0) {
      if (errno == ENOENT)
        break;
      return util::fail_errno("listing the kernel's BPF programs", errno);
    }
    UniqueFd fd(bpf_prog_get_fd_by_id(id));
    if (!fd.valid())
      continue; // gone meanwhile
    auto p = prog_info(fd.get());
    bool encap = p && p->name == k_encap_prog && p->type == BPF_PROG_TYPE_LWT_XMIT;
    bool decap = p && p->name == k_decap_prog && p->type == BPF_PROG_TYPE_SCHED_CLS;
    if (!encap && !decap)
      continue;
    std::array<UniqueFd, k_map_names.size()> maps;
    for (auto map_id : p->map_ids) {
      UniqueFd mfd(bpf_map_get_fd_by_id(map_id));
      if (!mfd.valid())
        continue;
      if (auto i = map_index(map_name_of(mfd.get())); i < maps.size())
        maps[i] = std::move(mfd);
    }
    const int meta = maps[static_cast<std::size_t>(MapId::meta)].get();
    if (meta < 0)
      continue;
    Whose w = whose(meta, me);
    if (w == Whose::other_layout)
      return tl::unexpected(refuse_layout().error());
    if (w != Whose::ours)
      continue;
    any = true;
    for (std::size_t i = 0; i < maps.size(); ++i)
      if (!d.m_maps[i].valid() && maps[i].valid())
        d.m_maps[i] = std::move(maps[i]);
    UniqueFd &slot = encap ? d.m_encap : d.m_decap;
    if (!slot.valid())
      slot = std::move(fd);
  }
  if (!any)
    return std::optional<Datapath>();
  return std::optional<Datapath>(std::move(d));
}

Result<Datapath> Datapath::load(Datapath *found) {
  libbpf_set_print(keep_libbpf_log);
  g_libbpf_log.clear();
  auto object = embedded_object();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "fouctl");
  std::unique_ptr<bpf_object, decltype(&bpf_object__close)> obj(
      bpf_object__open_mem(object.data(), object.size(), &opts), &bpf_object__close);
  if (!obj) {
    auto e = util::fail_errno("opening fouctl's embedded BPF object", errno);
    e.value().hint = libbpf_log_tail();
    return e;
  }
  Datapath d;
  if (found != nullptr)
    d = std::move(*found);
  const bool new_meta = !d.m_maps[static_cast<std::size_t>(MapId::meta)].valid();
  bpf_map *map = nullptr;
  bpf_object__for_each_map(map, obj.get()) {
    auto i = map_index(bpf_map__name(map));
    if (i < d.m_maps.size() && d.m_maps[i].valid())
      if (int rc = bpf_map__reuse_fd(map, d.m_maps[i].get()); rc != 0)
        return util::fail_errno(std::string("reusing BPF map '") + k_map_names[i] + "'", -rc);
  }
  if (int rc = bpf_object__load(obj.get()); rc != 0) {
    auto e = util::fail_errno("loading fouctl's BPF programs", -rc);
    if (-rc == EPERM)
      e.value().hint = "loading BPF programs needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN";
    if (auto log = libbpf_log_tail(); !log.empty())
      e.value().ext_ack = log;
    return e;
  }
  bpf_object__for_each_map(map, obj.get()) {
    auto i = map_index(bpf_map__name(map));
    if (i < d.m_maps.size() && !d.m_maps[i].valid())
      d.m_maps[i].reset(::fcntl(bpf_map__fd(map), F_DUPFD_CLOEXEC, 3));
  }
  for (auto [name, slot] : {std::pair{k_encap_prog, &d.m_encap}, {k_decap_prog, &d.m_decap}})
    if (!slot->valid())
      if (auto *prog = bpf_object__find_program_by_name(obj.get(), name))
        slot->reset(::fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3));
  if (!d.complete())
    return fail(ErrorKind::system, "fouctl's BPF object lacks a program or map it needs");
  if (new_meta) {
    FOUCTL_TRY_ASSIGN(const fouctl_meta me, this_namespace());
    std::uint32_t key = 0;
    if (bpf_map_update_elem(d.map(MapId::meta), &key, &me, BPF_ANY) != 0)
      return util::fail_errno("writing fou_meta", errno);
  }
  return d;
}

Status Datapath::pin(const std::string &dir) const {
  auto pin_one = [&](int fd, const char *name) -> Status {
    const std::string path = dir + "/" + name;
    UniqueFd there(bpf_obj_get(path.c_str()));
    if (there.valid()) {
      bpf_prog_info a{}, b{}; // the id is at the start of both info structs
      std::uint32_t la = sizeof a, lb = sizeof b;
      if (bpf_obj_get_info_by_fd(fd, &a, &la) == 0 &&
          bpf_obj_get_info_by_fd(there.get(), &b, &lb) == 0 && a.type == b.type && a.id == b.id)
        return {}; // already this object
    }
    ::unlink(path.c_str());
    if (bpf_obj_pin(fd, path.c_str()) != 0)
      return util::fail_errno("pinning '" + std::string(name) + "' at " + path, errno);
    return {};
  };
  for (std::size_t i = 0; i < k_map_names.size(); ++i)
    FOUCTL_TRY(pin_one(m_maps[i].get(), k_map_names[i]));
  FOUCTL_TRY(pin_one(m_encap.get(), k_encap_prog));
  FOUCTL_TRY(pin_one(m_decap.get(), k_decap_prog));
  return {};
}

} // namespace fouctl::bpf
