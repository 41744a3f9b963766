// One daemon per state database (product.md §5), by the file's identity: the lock is an
// flock(2) on "<resolved db>.lock" (resolved_db_path: symlinks followed), a file beside the
// database: the kernel releases it when the process dies however it dies,
// and a separate file keeps clear of SQLite's own POSIX locks on the database (closing any
// descriptor of a file drops every fcntl lock the process holds on it).
//
// The holder writes its pid into the lock file so that the refused daemon can name it.
#pragma once

#include "base/result.h"

#include <optional>
#include <string>

namespace bsched::runtime {

class InstanceLock {
 public:
  // Takes the lock for `db_path` without waiting. Errors: another process holds it
  // ("another boomi-sched daemon (pid N) owns <db>"), or the lock file cannot be created.
  static Result<InstanceLock> acquire(const std::string& db_path);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock();  // releases the lock (the file stays; it is reused)

  const std::string& path() const { return m_path; }

 private:
  InstanceLock(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  void release();

  int m_fd = -1;
  std::string m_path;
};

// The database's path with every symlink and "." / ".." resolved: the file's identity, so that
// two daemons reaching one database through different paths (a symlink to the file or to a
// directory above it) take the same lock. A database not created yet resolves through its
// directory. Hard links are not followed back: they are different paths to the kernel too.
std::string resolved_db_path(const std::string& db_path);

// "<resolved db>.lock"
std::string lock_path_for(const std::string& db_path);

// The pid written in a lock file, if it holds one.
std::optional<int> read_lock_pid(const std::string& lock_path);

}  // namespace bsched::runtime
