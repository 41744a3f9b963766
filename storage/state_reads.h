// What `status`, `history` and the status page read, and the notes the daemon's process shell
// keeps: the queries beside the engine's contract (RunStore), answered by every store. The
// command line and the daemon's shell hold a StateStore, both at once.
#pragma once

#include "storage/run_store.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bsched::storage {

// One entry of `history`: a run, or a range of missed / skipped slots.
using HistoryEntry = std::variant<RunRow, SlotGap>;

// What `status` shows for one job.
struct JobSummary {
  JobState state;
  std::optional<RunRow> last_run;        // the run with the latest slot
  std::int64_t in_flight = 0;            // runs not yet terminal
  std::int64_t missed_since_success = 0;  // missed slots after last_success_slot (all if none)
};

// What the daemon's process shell (daemon/runtime) records beside the engine's heartbeat:
// `status` reads it to tell a clean stop from a crash and to show a refused reload.
struct DaemonNotes {
  int pid = 0;                          // the daemon these notes belong to
  std::optional<SysMillis> stopped_at;  // its clean stop; unset while it runs
  // The last reload was refused: the daemon runs the configuration it had before.
  std::optional<SysMillis> reload_failed_at;
  int reload_errors = 0;
  std::string reload_error;  // the first error, as `validate` prints it
};

// A daemon of an active/standby pair, as its row in `nodes` and the lease say (docs/ha.md).
struct NodeInfo {
  std::string name;
  std::string version;
  std::string role;        // what it last wrote: "leader", "standby" or "stopped"
  std::int64_t epoch = 0;  // the epoch it holds (leader) or last saw
  SysMillis last_seen{};   // its last claim, by the database clock
  bool leads = false;      // it holds the lease now, by the database clock
};

class StateReads {
 public:
  virtual ~StateReads() = default;

  // The nodes of an active/standby pair, by name; none for a store of one host.
  virtual StoreResult<std::vector<NodeInfo>> nodes() { return std::vector<NodeInfo>{}; }

  // The job's runs, latest slot first.
  virtual StoreResult<std::vector<RunRow>> recent_runs(const std::string& job, int limit) = 0;
  // Runs and missed / skipped ranges, newest first (runs by slot, ranges by their last slot);
  // every job when `job` is empty.
  virtual StoreResult<std::vector<HistoryEntry>> history(const std::string& job, int limit) = 0;
  // The job's history entries strictly older than `before` (runs by slot, ranges by their last
  // slot), newest first: the next page after an entry at `before`.
  virtual StoreResult<std::vector<HistoryEntry>> history_before(const std::string& job,
                                                                sys_seconds before,
                                                                int limit) = 0;
  virtual StoreResult<JobSummary> job_summary(const std::string& job) = 0;
  // Names of every job the database has a state or a run of, sorted.
  virtual StoreResult<std::vector<std::string>> known_jobs() = 0;
  // Names of the jobs with runs not yet terminal, sorted.
  virtual StoreResult<std::vector<std::string>> in_flight_jobs() = 0;
  // The job's gaps, newest first (tests, history).
  virtual StoreResult<std::vector<SlotGap>> gaps(const std::string& job, int limit) = 0;

  // The daemon's notes (one row, replaced whole); nullopt when none was written yet.
  virtual StoreResult<void> write_daemon_notes(const DaemonNotes& notes) = 0;
  virtual StoreResult<std::optional<DaemonNotes>> read_daemon_notes() = 0;
};

// A whole store: the engine's contract and the reads (SqliteRunStore, pg::PgRunStore).
class StateStore : public RunStore, public StateReads {};

}  // namespace bsched::storage
