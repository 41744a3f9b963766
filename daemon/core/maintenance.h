// The engine's housekeeping part: the facts its heartbeat reports (when it started, when it
// last loaded its configuration, the runs that failed since) and the timetable of the
// maintenance loop (engine_ops.cpp), which wakes on this part's timer every
// maintenance_interval to write the heartbeat, take the command queue, forget old claims,
// look for stuck runs, and prune the store's history once prune_interval has passed.
#pragma once

#include "base/time_util.h"
#include "base/timers.h"
#include "storage/run_store.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace bsched::core {

class Maintenance {
 public:
  // Runs finished before the retention cutoff are deleted this many at a time, with a yield
  // to the event loop between batches, so a large prune never stalls the scheduler.
  static constexpr int k_prune_batch = 500;

  Maintenance(std::unique_ptr<WakeTimer> timer, Millis prune_interval);

  WakeTimer& timer() { return *m_timer; }

  // The engine started at `now`: the heartbeat's start and load times, and a prune at the
  // first maintenance turn.
  void started(SysMillis now, std::chrono::steady_clock::time_point steady_now);
  void config_loaded(SysMillis now) { m_config_loaded_at = now; }
  void run_failed() { ++m_failures; }
  int failures() const { return m_failures; }

  // The heartbeat row as of `now`, with what the other parts report.
  storage::Heartbeat heartbeat(SysMillis now, int pid, std::string fingerprint,
                               std::string platform_state, std::string store_state) const;

  // True when prune_interval has passed since the last prune turn; the turn starts now.
  bool take_prune_turn(std::chrono::steady_clock::time_point steady_now);

  struct PruneStep {
    std::int64_t deleted = 0;
    bool more = false;  // a full batch was deleted: there may be more to prune
  };
  // One batch of a prune turn: deletes up to k_prune_batch runs that ended before `before`.
  static storage::StoreResult<PruneStep> prune_step(storage::RunStore& store, SysMillis before);

 private:
  std::unique_ptr<WakeTimer> m_timer;
  Millis m_prune_interval;
  SysMillis m_started_at{};
  SysMillis m_config_loaded_at{};
  int m_failures = 0;  // runs that ended in a failure state since start
  std::chrono::steady_clock::time_point m_last_prune{};
};

}  // namespace bsched::core
