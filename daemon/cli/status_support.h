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
  // Null when the configuration does not load and the command allowed it (status, history:
  // the database is then found through storage.path of the main file alone).
  std::shared_ptr<const config::Config> config;
  // Null when no state database exists yet and the command allowed it (status, history).
  std::unique_ptr<storage::SqliteRunStore> store;
  std::string config_path;  // the main file read
  std::string db_path;      // the state database (storage.path)
  int config_errors = 0;    // errors of a configuration that does not load
};

// The main configuration file: --config, else $BOOMI_SCHED_CONFIG, else the default
// /etc/boomi-sched/boomi-sched.yaml; when that is absent and a dev daemon (`run --dev`) of
// this user runs, its configuration, and a line on stderr says so.
std::string resolve_config(const char* command, const std::optional<std::string>& config_flag);

// How open_state may get on without a part.
struct OpenRules {
  storage::OpenMode mode = storage::OpenMode::read_only;
  bool broken_config_ok = false;  // go on with config null (errors counted, not printed)
  bool missing_db_ok = false;     // go on with store null when the database does not exist
  // read_write: create a missing database (with the daemon's migrations, under its instance
  // lock, owned like its directory when run as root), so commands work before the first start.
  bool create_db = false;
};

// Loads the configuration named by --config (or its defaults) and opens storage.path as
// `rules` say. Prints every problem to stderr, prefixed with `command`, and returns nullopt.
std::optional<StateContext> open_state(const char* command,
                                       const std::optional<std::string>& config_flag,
                                       const OpenRules& rules);

// The daemon runs iff its heartbeat exists, the pid is alive and the heartbeat is less than
// k_heartbeat_stale old.
inline constexpr std::chrono::minutes k_heartbeat_stale{2};

struct DaemonState {
  bool running = false;
  std::optional<storage::Heartbeat> heartbeat;
  // The pid is alive but the heartbeat is stale: the daemon runs and cannot write its state
  // database (disk full, locked, I/O errors), or hangs.
  bool silent = false;
  // The daemon stopped cleanly at this instant (its notes say so, no heartbeat came after).
  std::optional<SysMillis> stopped_at;
  // What the daemon's process shell recorded (a refused reload; the pid they belong to).
  std::optional<storage::DaemonNotes> notes;
  // No state database exists: no daemon has run with this configuration yet.
  bool never_started = false;
  std::string db_path;  // set with never_started
};

// `pid_alive` is injectable for tests.
DaemonState daemon_state(const std::optional<storage::Heartbeat>& heartbeat, SysMillis now,
                         bool (*pid_alive)(int pid) = nullptr);
bool process_alive(int pid);
// Adds the daemon's notes: a clean stop after the last heartbeat makes it stopped.
void apply_notes(DaemonState& state, const std::optional<storage::DaemonNotes>& notes);
// The daemon's notes when they belong to the heartbeat's daemon and say a reload was refused.
const storage::DaemonNotes* refused_reload(const DaemonState& state);
// Since when runs in flight are not tracked: the daemon is not running (stopped or gone), so
// nothing polls them; nullopt while a daemon runs (or is silent) or never ran.
std::optional<SysMillis> untracked_since(const DaemonState& state);

// The login name of the person running the command (for requested_by / paused_by).
std::string login_user();

SysMillis now_millis();

}  // namespace bsched::cli
