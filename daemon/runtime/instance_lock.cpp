#include "daemon/runtime/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

namespace bsched::runtime {

std::string resolved_db_path(const std::string& db_path) {
  namespace fs = std::filesystem;
  if (db_path.empty() || db_path == ":memory:") return db_path;
  std::error_code ec;
  // The file itself when it exists (a symlink to it resolves to its target); else its
  // directory resolved, with the name the database will be created under.
  auto whole = fs::canonical(db_path, ec);
  if (!ec) return whole.string();
  fs::path p(db_path);
  auto dir = fs::canonical(p.has_parent_path() ? p.parent_path() : fs::path("."), ec);
  if (ec) return db_path;  // the directory is missing: creating the lock file says so
  return (dir / p.filename()).string();
}

std::string lock_path_for(const std::string& db_path) { return resolved_db_path(db_path) + ".lock"; }

std::optional<int> read_lock_pid(const std::string& lock_path) {
  int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[32] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  std::string_view text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  int pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc{} || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

namespace {

Error refused(const std::string& db_path, const std::string& lock_path) {
  // The holder writes its pid right after locking; a refused daemon racing that write sees
  // an empty file and leaves the pid out.
  if (auto pid = read_lock_pid(lock_path)) {
    return make_error(
        fmt::format("another boomi-sched daemon (pid {}) owns {}; stop it first", *pid, db_path));
  }
  return make_error(fmt::format("another boomi-sched daemon owns {}; stop it first", db_path));
}

bool write_pid(int fd) {
  auto text = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0) return false;
  return ::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size());
}

}  // namespace

Result<InstanceLock> InstanceLock::acquire(const std::string& db_path) {
  auto path = lock_path_for(db_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(fmt::format("cannot create the lock file {}: {} (is the state directory "
                                  "writable by this user?)",
                                  path, std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return refused(db_path, path);
    return make_error(fmt::format("cannot lock {}: {}", path, std::strerror(err)));
  }
  if (!write_pid(fd)) {
    int err = errno;
    ::close(fd);
    return make_error(fmt::format("cannot write the pid into {}: {}", path, std::strerror(err)));
  }
  return InstanceLock(fd, std::move(path));
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)) {}

InstanceLock& InstanceLock::operator=(InstanceLock&& other) noexcept {
  if (this != &other) {
    release();
    m_fd = std::exchange(other.m_fd, -1);
    m_path = std::move(other.m_path);
  }
  return *this;
}

InstanceLock::~InstanceLock() { release(); }

void InstanceLock::release() {
  if (m_fd < 0) return;
  // Empty the pid first so that a stale file never names a live unrelated process. A failure
  // changes nothing that matters: the lock is dropped by the close all the same.
  [[maybe_unused]] int emptied = ::ftruncate(m_fd, 0);
  ::close(m_fd);  // closing the only descriptor drops the flock
  m_fd = -1;
}

}  // namespace bsched::runtime
