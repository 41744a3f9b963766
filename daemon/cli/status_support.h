// What `status`, `history`, `trigger`, `pause` and `resume` share: loading the configuration
// without the secret, opening its state database, and telling whether a daemon is running.
#pragma once

#include "config/config.h"
#include "storage/sqlite_run_store.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

struct StateContext {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<storage::SqliteRunStore> store;
};

// Loads the configuration named by --config (or its defaults) and opens storage.path in
// `mode` (read-write never creates the file). Prints every problem to stderr, prefixed with
// `command`, and returns nullopt.
std::optional<StateContext> open_state(const char* command,
                                       const std::optional<std::string>& config_flag,
                                       storage::OpenMode mode);

// The daemon runs iff its heartbeat exists, the pid is alive and the heartbeat is less than
// k_heartbeat_stale old.
inline constexpr std::chrono::minutes k_heartbeat_stale{2};

struct DaemonState {
  bool running = false;
  std::optional<storage::Heartbeat> heartbeat;
  // The pid is alive but the heartbeat is stale: the daemon runs and cannot write its state
  // database (disk full, locked, I/O errors), or hangs.
  bool silent = false;
};

// `pid_alive` is injectable for tests.
DaemonState daemon_state(const std::optional<storage::Heartbeat>& heartbeat, SysMillis now,
                         bool (*pid_alive)(int pid) = nullptr);
bool process_alive(int pid);

// The login name of the person running the command (for requested_by / paused_by).
std::string login_user();

SysMillis now_millis();

}  // namespace bsched::cli
