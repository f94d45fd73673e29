#include "fouctl/backend/runtime.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>

#include "fouctl/backend/systemd.hpp"
#include "fouctl/relay/control.hpp"

namespace fouctl::backend {

using util::ErrorKind;
using util::fail;
using util::Result;
using util::Status;

namespace {

const std::string k_system_base = "/run/fouctl";

// What a directory of the layout must look like: its owner, and the one group (if any)
// that may write to it.
struct DirRule {
  uid_t owner = 0;
  std::optional<gid_t> writer_group;
};

Status check_dir(const std::string &path, const DirRule &rule) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return util::fail_errno("looking at " + path, errno);
  auto refuse = [&](const std::string &why) {
    auto e = fail(ErrorKind::conflict, path + " " + why + "; fouctl does not trust it");
    e.value().hint = "remove it (fouctl makes it anew) and find out who made it";
    return e;
  };
  if (S_ISLNK(st.st_mode))
    return refuse("is a symbolic link");
  if (!S_ISDIR(st.st_mode))
    return refuse("is not a directory");
  if (st.st_uid != rule.owner)
    return refuse("belongs to uid " + std::to_string(st.st_uid) + ", not " +
                  std::to_string(rule.owner));
  if (st.st_mode & S_IWOTH)
    return refuse("is writable by everyone");
  if ((st.st_mode & S_IWGRP) && !(rule.writer_group && st.st_gid == *rule.writer_group))
    return refuse("is writable by group " + std::to_string(st.st_gid));
  return {};
}

gid_t group_of(const std::string &path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_gid : 0;
}

// Makes `path` if it is missing, with exactly `mode` (no umask: fouctl.service runs with
// UMask=0077), then checks it. A set-group-ID parent hands its group and that bit down by
// itself; asking for the bit would fail under RestrictSUIDSGID=. Called before any thread
// exists, so the process-wide umask may change for a moment.
Status ensure_dir(const std::string &path, mode_t mode, const DirRule &rule, bool create) {
  if (create) {
    const mode_t old = ::umask(0);
    const int r = ::mkdir(path.c_str(), mode & 0777);
    const int err = errno;
    ::umask(old);
    if (r != 0 && err != EEXIST)
      return util::fail_errno("creating " + path, err);
  }
  return check_dir(path, rule);
}

// root's tree. With the service user, ns/ belongs to its group (set-group-ID, so that
// what root makes inside inherits the group) and the relay directory is group-writable:
// fouctl-relay@.service runs as that user and binds its socket there. tmpfiles.d makes
// ns/ so; a tree made before the package was installed stays root's alone.
Result<RuntimeDir> system_dir(const std::string &key, bool create) {
  auto svc = service_user();
  const std::string ns_root = k_system_base + "/ns";
  FOUCTL_TRY(ensure_dir(k_system_base, 0755, {0, {}}, create));
  FOUCTL_TRY(ensure_dir(ns_root, 0700, {0, {}}, create));
  const bool shared = svc && group_of(ns_root) == svc->gid;
  RuntimeDir d;
  d.ns_dir = ns_root + "/" + key;
  d.relay_dir = d.ns_dir + "/relay";
  FOUCTL_TRY(ensure_dir(d.ns_dir, shared ? 0750 : 0700, {0, {}}, create));
  std::optional<gid_t> writers;
  if (shared)
    writers = svc->gid;
  FOUCTL_TRY(ensure_dir(d.relay_dir, shared ? 0770 : 0700, {0, writers}, create));
  d.trusted = {0};
  if (svc)
    d.trusted.push_back(svc->uid);
  return d;
}

std::string user_base(uid_t uid) { return "/run/user/" + std::to_string(uid); }

Result<RuntimeDir> user_dir(uid_t uid, const std::string &key, bool create) {
  const std::string base = user_base(uid);
  if (auto s = check_dir(base, {uid, {}}); !s) {
    auto e = s;
    e.error().message = "no runtime directory of your own: " + s.error().message;
    e.error().hint = "a login session makes " + base +
                     " (systemd-logind); without one, make it: install -d -m 0700 -o " +
                     std::to_string(uid) + " " + base;
    return tl::unexpected(e.error());
  }
  RuntimeDir d;
  std::string dir = base + "/fouctl";
  FOUCTL_TRY(ensure_dir(dir, 0700, {uid, {}}, create));
  dir += "/ns";
  FOUCTL_TRY(ensure_dir(dir, 0700, {uid, {}}, create));
  d.ns_dir = dir + "/" + key;
  d.relay_dir = d.ns_dir + "/relay";
  FOUCTL_TRY(ensure_dir(d.ns_dir, 0700, {uid, {}}, create));
  FOUCTL_TRY(ensure_dir(d.relay_dir, 0700, {uid, {}}, create));
  d.trusted = {uid};
  return d;
}

} // namespace

std::optional<ServiceUser> service_user() {
  static const std::optional<ServiceUser> cached = []() -> std::optional<ServiceUser> {
    passwd pw{}, *found = nullptr;
    char buf[4096];
    if (::getpwnam_r(k_service_user, &pw, buf, sizeof buf, &found) != 0 || found == nullptr ||
        found->pw_uid == 0)
      return std::nullopt;
    return ServiceUser{found->pw_uid, found->pw_gid};
  }();
  return cached;
}

Result<std::string> netns_key() {
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0)
    return util::fail_errno("reading this process's network namespace", errno);
  char key[64];
  std::snprintf(key, sizeof key, "%" PRIxMAX "-%" PRIuMAX, static_cast<uintmax_t>(st.st_dev),
                static_cast<uintmax_t>(st.st_ino));
  return std::string(key);
}

Result<RuntimeDir> runtime_dir(bool create) {
  FOUCTL_TRY_ASSIGN(auto key, netns_key());
  const uid_t euid = ::geteuid();
  if (euid == 0)
    return system_dir(key, create);
  if (auto svc = service_user(); svc && euid == svc->uid)
    return system_dir(key, false); // root made it before starting the unit
  return user_dir(euid, key, create);
}

std::optional<RuntimeDir> user_runtime_dir(uid_t uid) {
  auto key = netns_key();
  if (!key || uid == 0)
    return std::nullopt;
  auto d = user_dir(uid, *key, false);
  return d ? std::optional<RuntimeDir>(*d) : std::nullopt;
}

Result<NamespaceLock>
NamespaceLock::acquire(std::chrono::milliseconds timeout,
                       const std::function<void(const std::string &holder)> &on_wait) {
  // The holder before us may remove the directory as it leaves (see ~NamespaceLock): then
  // the lock file cannot be opened again, and the directory is made anew.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int attempt = 0;; ++attempt) {
    auto made = runtime_dir(true);
    if (!made && made.error().errnum == ENOENT && attempt < 20)
      continue; // removed between two of its mkdirs
    FOUCTL_TRY_ASSIGN(auto dir, std::move(made));
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto lock = util::FileLock::acquire(dir.ns_dir + "/lock", 0600,
                                        std::max(left, std::chrono::milliseconds(0)), on_wait);
    if (lock)
      return NamespaceLock(std::move(*lock), std::move(dir));
    if (lock.error().errnum != ENOENT || attempt >= 20)
      return tl::unexpected(util::context("taking the namespace lock")(lock.error()));
  }
}

NamespaceLock::~NamespaceLock() {
  if (!m_lock || m_lock->fd() < 0)
    return;
  // A relay's files keep relay/ from being empty. Relay units start while root's lock is
  // not held (Restart=), so where they may run the directory stays.
  if (relay_units_usable())
    return;
  // What relays that were killed left behind goes first (each only if its lock is free).
  for (const auto &name : relay::list_relays(m_dir.relay_dir))
    (void)relay::remove_stale(m_dir.relay_dir, name);
  if (::rmdir(m_dir.relay_dir.c_str()) != 0)
    return;
  m_lock->remove();
  ::rmdir(m_dir.ns_dir.c_str());
}

} // namespace fouctl::backend
