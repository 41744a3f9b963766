// The durable record of every run, missed slot, job state, operator command and the daemon's
// heartbeat (product.md §4, §6, §7). The contract the daemon and the CLI program against;
// SqliteRunStore (storage/sqlite_run_store.h) is the implementation, also used by tests on
// ":memory:".
//
// Every mutating call is one durable transaction unless it runs inside in_transaction(),
// which groups many into one commit (the daemon's burst of same-second slots). Failures
// (full disk, locked database, I/O error) come back as errors; nothing here throws.
#pragma once

#include "base/result.h"
#include "base/time_util.h"
#include "storage/alert_row.h"
#include "storage/run_state.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bsched::storage {

using std::chrono::sys_seconds;

struct RunRow {
  std::int64_t id = 0;   // database row id
  std::string run_id;    // unique; the value sent as BOOMI_SCHED_RUN_ID
  std::string job;
  Trigger trigger = Trigger::schedule;
  sys_seconds slot{};    // the slot instant (manual runs: the instant they were requested)
  RunState state = RunState::scheduled;
  int attempts = 0;      // ExecutionRequests sent for this run
  std::string request_id;     // "executionrecord-…" once known
  std::string execution_id;   // "execution-…" once the record is seen
  std::string remote_status;  // the platform's status word, verbatim
  std::string message;        // the platform's message (failed runs)
  std::string last_error;     // our last error (HTTP failure, timeout, …)
  std::string properties_json;  // the expanded properties sent, as a JSON object
  // A request for this run left and no sure refusal has come back since: the platform may
  // have accepted it. Set in the same write that records the request leaving (before it
  // leaves), cleared only by an answer that proves it failed. A run with it set is only ever
  // reconciled, never sent again, however many times the daemon restarts.
  bool maybe_accepted = false;
  // How the execution record was tied to this run: "" (not yet), "request" (by the
  // requestId the platform returned), "query" (found by reconciling: a heuristic match on
  // process, runtime and execution time).
  std::string matched_by;

  // Times of the transitions (UTC, ms); unset until reached.
  SysMillis created_at{};                 // scheduled
  std::optional<SysMillis> submitting_at;  // first ExecutionRequest left
  std::optional<SysMillis> submitted_at;   // requestId received
  std::optional<SysMillis> running_at;     // record first seen
  std::optional<SysMillis> finished_at;    // terminal
  std::optional<SysMillis> last_sent_at;   // the latest ExecutionRequest left (reconcile window)
  std::optional<SysMillis> next_action_at;  // next poll / retry / reconcile, when in flight

  // From the ExecutionRecord, when seen.
  std::optional<sys_seconds> execution_time;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> inbound_documents;
  std::optional<std::int64_t> outbound_documents;
  std::optional<std::int64_t> inbound_error_documents;
};

struct NewRun {
  std::string run_id;  // caller-made, unique (e.g. a random UUID)
  std::string job;
  Trigger trigger = Trigger::schedule;
  sys_seconds slot{};
  std::string properties_json;
  // Moved on to `submitting` in the same transaction (through enter_state, with first_send):
  // a run whose first ExecutionRequest (with these properties) leaves right after the commit.
  bool submitting = false;
};

// Fields a transition or an update sets; unset members keep their stored value.
struct RunUpdate {
  std::optional<int> attempts;
  std::optional<std::string> request_id;
  std::optional<std::string> execution_id;
  std::optional<std::string> remote_status;
  std::optional<std::string> message;
  std::optional<std::string> last_error;
  std::optional<std::string> properties_json;
  std::optional<SysMillis> last_sent_at;
  std::optional<std::optional<SysMillis>> next_action_at;  // {} keeps, {nullopt} clears
  std::optional<sys_seconds> execution_time;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::int64_t> inbound_documents;
  std::optional<std::int64_t> outbound_documents;
  std::optional<std::int64_t> inbound_error_documents;
  std::optional<bool> maybe_accepted;
  std::optional<std::string> matched_by;
};

// Copies every set member of `update` into `row`: how the store applies an update, and how
// the engine keeps its in-memory copy equal to the stored row.
void apply_update(RunRow& row, const RunUpdate& update);

// Slots that did not fire: one row stands for a range of consecutive slots of one job with
// the same kind and reason, so a month of missed per-second slots is one row.
struct SlotGap {
  std::int64_t id = 0;
  std::string job;
  RunState kind = RunState::missed;  // missed or skipped
  sys_seconds first{};               // first slot of the range
  sys_seconds last{};                // last slot of the range (== first for one slot)
  std::int64_t count = 1;            // slots in the range
  std::string reason;                // "daemon down", "paused", "overlap: run 812 in flight", …
  SysMillis recorded_at{};
};

struct JobState {
  std::string job;
  bool paused = false;
  std::string pause_note;
  std::string paused_by;                    // user name
  std::optional<SysMillis> paused_at;
  std::optional<sys_seconds> last_success_slot;  // slot of the last complete/complete_warn run
  // Every slot at or before this instant has been handled (fired, skipped or missed). The
  // daemon advances it with each slot; after downtime the slots after it are the missed ones.
  std::optional<sys_seconds> horizon;
};

enum class CommandKind {
  trigger,  // start a manual run now (with optional properties)
  pause,    // stop firing new slots of the job; runs in flight go on
  resume,   // fire again from the next slot
};

std::string_view to_string(CommandKind kind);
std::optional<CommandKind> command_kind_from_string(std::string_view s);

// An operator command written by the CLI and carried out by the running daemon.
struct Command {
  std::int64_t id = 0;
  CommandKind kind = CommandKind::trigger;
  std::string job;
  std::string args_json;  // trigger: {"properties": {"NAME": "VALUE"}}; pause: {"note": "…"}
  std::string requested_by;
  SysMillis requested_at{};
};

// What the running daemon says about itself, rewritten as it changes.
struct Heartbeat {
  int pid = 0;
  SysMillis started_at{};
  SysMillis updated_at{};
  SysMillis config_loaded_at{};
  std::string config_fingerprint;
  std::string platform_state;  // "ok", "unreachable", "throttled", "auth failed: <message>"
  std::string store_state;     // "ok", "ok (last outage …)"; written once the store takes it
};

// What the daemon's metrics count on from at start, so that a restart does not zero them
// (RunStore::totals; docs/operations.md lists the metrics).
struct StoreTotals {
  struct Runs {  // runs of one (job, trigger, state); `sent`: at least one request left
    std::string job;
    Trigger trigger = Trigger::schedule;
    RunState state = RunState::scheduled;
    bool sent = false;
    std::int64_t count = 0;
    sys_seconds last_slot{};  // the latest slot among them
  };
  struct Gaps {  // slots of one (job, kind, reason) in the missed-slot ledger
    std::string job;
    RunState kind = RunState::missed;
    std::string reason;
    std::int64_t count = 0;
  };
  struct Job {
    std::string job;
    std::int64_t missed_since_success = 0;  // as JobSummary counts it (`status`)
  };
  std::vector<Runs> runs;
  std::vector<Gaps> gaps;
  std::vector<Job> jobs;
};

enum class StoreErrorKind {
  duplicate_slot,  // (job, slot) already has a run
  illegal_transition,
  not_found,
  busy,      // locked by another writer past busy_timeout: retry later
  full,      // disk or database full: retry later
  io,        // other SQLite / OS failure
};

std::string_view to_string(StoreErrorKind kind);

struct StoreError {
  StoreErrorKind kind = StoreErrorKind::io;
  std::string message;  // includes SQLite's message where there is one
};

template <class T>
using StoreResult = Result<T, StoreError>;

// The one change of a run's state, in the store and in memory alike. Refuses (an
// illegal_transition error, `row` untouched) a pair is_legal_transition does not allow;
// otherwise applies `update`, sets the state, stamps the time column of the state reached and,
// entering `submitting`, marks the request as possibly accepted unless `update` says not.
StoreResult<void> enter_state(RunRow& row, RunState to, SysMillis now,
                              const RunUpdate& update = {});

// The update that goes with a run's first ExecutionRequest leaving at `now`.
RunUpdate first_send(SysMillis now);

// Lets StoreResult<T>::value() throw (a std::runtime_error with the message) on an error.
[[noreturn]] void throw_exception_from_error(const StoreError& e, const boost::source_location& loc);

class RunStore {
 public:
  virtual ~RunStore() = default;

  // Groups every call made inside `fn` into one transaction (committed when fn succeeds).
  virtual StoreResult<void> in_transaction(const std::function<StoreResult<void>()>& fn) = 0;

  // Runs. create_run also advances the job's horizon to the slot for schedule/catch-up runs.
  virtual StoreResult<RunRow> create_run(const NewRun& run, SysMillis now) = 0;
  // The one place a run changes state; refuses illegal transitions; stamps the time.
  virtual StoreResult<RunRow> transition(std::int64_t id, RunState to, SysMillis now,
                                         const RunUpdate& update = {}) = 0;
  // Same-state progress (poll results, next poll instant, attempts).
  virtual StoreResult<void> update(std::int64_t id, const RunUpdate& update) = 0;
  virtual StoreResult<std::optional<RunRow>> find_run(std::int64_t id) = 0;
  virtual StoreResult<std::vector<RunRow>> non_terminal_runs() = 0;
  // The execution ids of `job`'s runs that finished at or after `finished_since`, among those
  // with a slot at or after `slot_since` (the bound that keeps the scan to recent rows).
  virtual StoreResult<std::vector<std::string>> finished_execution_ids(
      const std::string& job, sys_seconds slot_since, SysMillis finished_since) = 0;
  // Those of `execution_ids` that a stored run holds, whatever its job, state or times (an
  // index on execution_id): a record one of them holds is never another run's.
  virtual StoreResult<std::vector<std::string>> held_execution_ids(
      const std::vector<std::string>& execution_ids) = 0;

  // The missed-slot ledger; merges with the job's latest range when kind and reason match
  // and `gap.first` follows it. Also advances the job's horizon to `gap.last`.
  virtual StoreResult<void> record_gap(const SlotGap& gap) = 0;

  virtual StoreResult<JobState> job_state(const std::string& job) = 0;
  virtual StoreResult<void> set_paused(const std::string& job, bool paused, const std::string& note,
                                       const std::string& who, SysMillis now) = 0;
  virtual StoreResult<void> set_horizon(const std::string& job, sys_seconds horizon) = 0;

  virtual StoreResult<std::int64_t> enqueue_command(const Command& command) = 0;
  // Commands not yet taken, oldest first; marks them taken in the same transaction.
  virtual StoreResult<std::vector<Command>> take_commands(SysMillis now) = 0;

  virtual StoreResult<void> write_heartbeat(const Heartbeat& heartbeat) = 0;
  virtual StoreResult<std::optional<Heartbeat>> read_heartbeat() = 0;

  // Deletes at most `batch` terminal runs and gaps older than `before`; returns how many.
  virtual StoreResult<std::int64_t> prune(SysMillis before, int batch) = 0;

  // Counts of the runs and missed slots kept (a scan of both tables: read once, at start).
  virtual StoreResult<StoreTotals> totals() = 0;

  // The alert outbox (alert_row.h). record_alert writes the event and one delivery per sink
  // (nothing when `alert.sinks` is empty); inside in_transaction it commits with the change
  // that caused it.
  virtual StoreResult<void> record_alert(const NewAlert& alert) = 0;
  // Deliveries not yet delivered nor given up whose next attempt is at or before `now`,
  // oldest first.
  virtual StoreResult<std::vector<AlertDelivery>> due_alerts(SysMillis now, int limit) = 0;
  // The earliest next attempt of any delivery still to make; nullopt when none is left.
  virtual StoreResult<std::optional<SysMillis>> next_alert_at() = 0;
  virtual StoreResult<void> settle_alerts(const std::vector<std::int64_t>& ids,
                                          const AlertOutcome& outcome) = 0;
  // When `sink` last took a message of (job, kind): where a grouping window starts.
  virtual StoreResult<std::optional<SysMillis>> last_alert_sent(const std::string& sink,
                                                                const std::string& job,
                                                                AlertKind kind) = 0;
  // The job's failed runs (is_failure) since its latest successful one, all when none;
  // with `before`, among the runs with a slot before it only.
  virtual StoreResult<std::int64_t> failure_streak(const std::string& job,
                                                   std::optional<sys_seconds> before) = 0;
};

// `texts` as a JSON array of strings: how a list of ids travels as one statement parameter
// (SQLite json_each, PostgreSQL jsonb_array_elements_text), escaped whatever it holds.
std::string json_text_array(const std::vector<std::string>& texts);

}  // namespace bsched::storage
