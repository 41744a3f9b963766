// One daemon per state database (product.md §5). The lock is an flock(2) on "<db>.lock", a
// file beside the database: the kernel releases it when the process dies however it dies,
// and a separate file keeps clear of SQLite's own POSIX locks on the database (closing any
// descriptor of a file drops every fcntl lock the process holds on it).
//
// The holder writes its pid into the lock file so that the refused daemon can name it.
#pragma once

#include "config/result.h"

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

// "<db>.lock"
std::string lock_path_for(const std::string& db_path);

// The pid written in a lock file, if it holds one.
std::optional<int> read_lock_pid(const std::string& lock_path);

}  // namespace bsched::runtime
