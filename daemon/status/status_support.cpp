#include "daemon/status/status_support.h"

#include <signal.h>

#include <cerrno>

namespace bsched::status {

bool process_alive(int pid) {
  if (pid <= 0) return false;
  // EPERM: the process exists but belongs to another user (the daemon's service account).
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

DaemonState daemon_state(const std::optional<storage::Heartbeat>& heartbeat, SysMillis now,
                         bool (*pid_alive)(int pid)) {
  DaemonState s;
  s.heartbeat = heartbeat;
  if (!heartbeat) return s;
  auto age = now - heartbeat->updated_at;
  bool fresh = age < k_heartbeat_stale;
  bool alive = (pid_alive ? pid_alive : process_alive)(heartbeat->pid);
  s.running = fresh && alive;
  s.silent = !fresh && alive;
  return s;
}

void apply_notes(DaemonState& s, const std::optional<storage::DaemonNotes>& notes) {
  s.notes = notes;
  if (!notes || !notes->stopped_at) return;
  if (s.heartbeat && s.heartbeat->updated_at > *notes->stopped_at) return;  // a later daemon
  s.stopped_at = notes->stopped_at;
  s.running = false;
  s.silent = false;
}

const storage::NodeInfo* leader_of(const DaemonState& s) {
  for (const auto& n : s.nodes)
    if (n.leads) return &n;
  return nullptr;
}

const char* node_role(const storage::NodeInfo& n) {
  if (n.leads) return "leader";
  return n.role == "stopped" ? "stopped" : "standby";
}

const storage::DaemonNotes* refused_reload(const DaemonState& s) {
  if (!s.notes || !s.notes->reload_failed_at || !s.heartbeat) return nullptr;
  if (s.notes->pid != s.heartbeat->pid || s.stopped_at) return nullptr;
  return &*s.notes;
}

std::optional<SysMillis> untracked_since(const DaemonState& s) {
  if (s.running || s.silent || !s.heartbeat) return std::nullopt;
  return s.stopped_at ? s.stopped_at : std::optional<SysMillis>(s.heartbeat->updated_at);
}

SysMillis now_millis() {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

}  // namespace bsched::status
