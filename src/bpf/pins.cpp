#include "fouctl/bpf/pins.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>

#include "fouctl/backend/runtime.hpp"
#include "fouctl/bpf/datapath.hpp"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

namespace fouctl::bpf {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

namespace {

bool is_bpffs(const char *path) {
  struct statfs sf {};
  return ::statfs(path, &sf) == 0 && static_cast<unsigned long>(sf.f_type) == BPF_FS_MAGIC;
}

// A directory of the pin path: real, root's, writable by root alone (S_IWGRP/S_IWOTH
// would let someone swap a pin for their own program).
Status check_dir(const std::string &path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return util::fail_errno("looking at " + path, errno);
  std::string why;
  if (!S_ISDIR(st.st_mode))
    why = "is not a directory";
  else if (st.st_uid != 0)
    why = "belongs to uid " + std::to_string(st.st_uid) + ", not root";
  else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    why = "is writable by others than root";
  if (why.empty())
    return {};
  auto e = fail(ErrorKind::conflict, path + " " + why + "; fouctl does not trust its pins");
  e.value().hint = "remove it (fouctl makes it anew) and find out who made it";
  return e;
}

Status ensure_dir(const std::string &path, bool create) {
  if (create && ::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return util::fail_errno("creating " + path, errno);
  return check_dir(path);
}

} // namespace

Result<std::optional<std::string>> pin_dir(bool create) {
  if (!is_bpffs(k_bpffs)) {
    if (!create)
      return std::optional<std::string>();
    // As iproute2's tc does when it pins: a private instance is fine, every bpffs mount
    // is a filesystem of its own. Failing that (no /sys/fs/bpf, a read-only /sys), the
    // datapath still works and is found through its programs.
    if (::mount("bpf", k_bpffs, "bpf", 0, "mode=0700") != 0 || !is_bpffs(k_bpffs))
      return std::optional<std::string>();
  }
  FOUCTL_TRY_ASSIGN(auto key, backend::netns_key());
  const std::string base = std::string(k_bpffs) + "/fouctl";
  const std::string dir = base + "/" + key;
  struct stat st {};
  if (!create && ::lstat(dir.c_str(), &st) != 0)
    return std::optional<std::string>();
  FOUCTL_TRY(ensure_dir(base, create));
  FOUCTL_TRY(ensure_dir(dir, create));
  return std::optional<std::string>(dir);
}

Status remove_pins(const std::string &dir) {
  std::vector<std::string> names(k_map_names.begin(), k_map_names.end());
  names.emplace_back(k_encap_prog);
  names.emplace_back(k_decap_prog);
  for (const auto &n : names) {
    const std::string path = dir + "/" + n;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return util::fail_errno("removing the pin " + path, errno);
  }
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT)
    return util::fail_errno("removing " + dir, errno);
  return {};
}

} // namespace fouctl::bpf
