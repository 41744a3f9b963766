// Whether a daemon is running, read from the state database's heartbeat and notes: what
// `status`, `history` and the daemon's own status page (daemon/web/) share.
#pragma once

#include "storage/sqlite_run_store.h"

#include <chrono>
#include <optional>
#include <string>

namespace bsched::status {

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
  // The nodes of an active/standby pair (docs/ha.md); empty for one host. A pair's heartbeat
  // is its leader's, whose pid may live on another host: freshness alone says it runs.
  std::vector<storage::NodeInfo> nodes;
};

// `pid_alive` is injectable for tests.
DaemonState daemon_state(const std::optional<storage::Heartbeat>& heartbeat, SysMillis now,
                         bool (*pid_alive)(int pid) = nullptr);
bool process_alive(int pid);
// Adds the daemon's notes: a clean stop after the last heartbeat makes it stopped.
void apply_notes(DaemonState& state, const std::optional<storage::DaemonNotes>& notes);
// The daemon's notes when they belong to the heartbeat's daemon and say a reload was refused.
const storage::DaemonNotes* refused_reload(const DaemonState& state);
// The node of a pair that holds the lease now (null: none, or one host).
const storage::NodeInfo* leader_of(const DaemonState& state);
// A node's role as `status` shows it: "leader" while it holds the lease, else "stopped" after
// a clean stop, else "standby".
const char* node_role(const storage::NodeInfo& node);
// Since when runs in flight are not tracked: the daemon is not running (stopped or gone), so
// nothing polls them; nullopt while a daemon runs (or is silent) or never ran.
std::optional<SysMillis> untracked_since(const DaemonState& state);

SysMillis now_millis();

}  // namespace bsched::status
