// The RunStore on PostgreSQL (issue #27): the same contract and the same meaning as
// SqliteRunStore, for an active/standby pair sharing one database. docs/ha.md describes it.
//
// Threads: the store owns one database thread running its own io_context and one
// PgConnection (libpq's asynchronous interface). Every call posts its work to that thread and
// waits for the answer: its statements end by `statement_deadline` (the caller waits at most
// 1 s more for the hand-over), so a database that does not answer makes the call fail
// (StoreErrorKind::io, "no answer within …") instead of hanging, and the connection is
// opened again by the next call. Calls run on the database thread one
// at a time, in the order they were made. Any thread may call the store: a call made while
// another thread's call or transaction (in_transaction) is open waits for its end, and the
// calls made inside in_transaction's fn, on its thread, join its transaction.
//
// Errors: a second run of a (job, slot) -> duplicate_slot; serialization failures, deadlocks
// and lock time-outs (SQLSTATE 40001, 40P01, 55P03) -> busy; disk full (53100) -> full; a lost
// connection, a missed deadline and every other failure -> io. Messages name the server by
// host, port, dbname and user (conninfo_target), never by the connection string.
#pragma once

#include "storage/pg/pg_connection.h"
#include "storage/run_store.h"
#include "storage/state_reads.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::storage::pg {

class PgWorker;

// The condition on every write that lets a request leave (a run entering `submitting`, or one
// more attempt counted): this node holds lease `lease_name` under `epoch` and it runs at least
// `margin` longer by the database's clock. The check locks the lease row (FOR SHARE) until the
// write commits, so a takeover, which updates that row, comes after the write or refuses it.
struct SendFence {
  std::string lease_name;
  std::string node;
  std::int64_t epoch = 0;
  Millis margin{0};
};

struct PgStoreOptions {
  // How long one call may take, connecting included (a call inside in_transaction: each).
  Millis statement_deadline{5000};
};

class PgRunStore final : public StateStore {
 public:
  // Connects to `conninfo` (a libpq connection string or postgresql:// URI) and brings the
  // schema to the current version (pg_migrations.h). Refuses a newer schema.
  static StoreResult<std::unique_ptr<PgRunStore>> open(const std::string& conninfo,
                                                       const PgStoreOptions& options = {});
  ~PgRunStore() override;

  StoreResult<void> in_transaction(const std::function<StoreResult<void>()>& fn) override;
  StoreResult<RunRow> create_run(const NewRun& run, SysMillis now) override;
  StoreResult<RunRow> transition(std::int64_t id, RunState to, SysMillis now,
                                 const RunUpdate& update = {}) override;
  StoreResult<void> update(std::int64_t id, const RunUpdate& update) override;
  StoreResult<std::optional<RunRow>> find_run(std::int64_t id) override;
  StoreResult<std::vector<RunRow>> non_terminal_runs() override;
  StoreResult<std::vector<std::string>> finished_execution_ids(
      const std::string& job, sys_seconds slot_since, SysMillis finished_since) override;
  StoreResult<std::vector<std::string>> held_execution_ids(
      const std::vector<std::string>& execution_ids) override;
  StoreResult<void> record_gap(const SlotGap& gap) override;
  StoreResult<JobState> job_state(const std::string& job) override;
  StoreResult<void> set_paused(const std::string& job, bool paused, const std::string& note,
                               const std::string& who, SysMillis now) override;
  StoreResult<void> set_horizon(const std::string& job, sys_seconds horizon) override;
  StoreResult<std::int64_t> enqueue_command(const Command& command) override;
  StoreResult<std::vector<Command>> take_commands(SysMillis now) override;
  StoreResult<void> write_heartbeat(const Heartbeat& heartbeat) override;
  StoreResult<std::optional<Heartbeat>> read_heartbeat() override;
  StoreResult<std::int64_t> prune(SysMillis before, int batch) override;
  StoreResult<StoreTotals> totals() override;
  StoreResult<void> record_alert(const NewAlert& alert) override;
  StoreResult<std::vector<AlertDelivery>> due_alerts(SysMillis now, int limit) override;
  StoreResult<std::optional<SysMillis>> next_alert_at() override;
  StoreResult<void> settle_alerts(const std::vector<std::int64_t>& ids,
                                  const AlertOutcome& outcome) override;
  StoreResult<std::optional<SysMillis>> last_alert_sent(const std::string& sink,
                                                        const std::string& job,
                                                        AlertKind kind) override;
  StoreResult<std::int64_t> failure_streak(const std::string& job,
                                           std::optional<sys_seconds> before) override;

  // StateReads, as SqliteRunStore's (same order, same limits).
  StoreResult<std::vector<RunRow>> recent_runs(const std::string& job, int limit) override;
  StoreResult<std::vector<HistoryEntry>> history(const std::string& job, int limit) override;
  StoreResult<std::vector<HistoryEntry>> history_before(const std::string& job,
                                                        sys_seconds before, int limit) override;
  StoreResult<JobSummary> job_summary(const std::string& job) override;
  StoreResult<std::vector<std::string>> known_jobs() override;
  StoreResult<std::vector<std::string>> in_flight_jobs() override;
  StoreResult<std::vector<SlotGap>> gaps(const std::string& job, int limit) override;
  StoreResult<void> write_daemon_notes(const DaemonNotes& notes) override;
  StoreResult<std::optional<DaemonNotes>> read_daemon_notes() override;
  StoreResult<std::vector<NodeInfo>> nodes() override;

  // Rows of one of the store's tables (runs, slot_gaps, job_state, commands, heartbeat,
  // daemon_notes, alert_events, alert_deliveries); any other name is refused.
  StoreResult<std::int64_t> row_count(std::string_view table);

  // From now on every write that lets a request leave is fenced (see SendFence); nullopt: none
  // is (the command line, which sends nothing). A fenced write that finds the lease gone or
  // short fails with StoreErrorKind::io ("… does not hold the leader lease …"), changing
  // nothing.
  void set_send_fence(std::optional<SendFence> fence);

  // "host=… port=… dbname=… user=…": the server, for logs.
  const std::string& target() const;

 private:
  explicit PgRunStore(std::unique_ptr<PgWorker> worker);

  StoreResult<std::vector<SlotGap>> read_gaps(std::string sql, PgParams params);
  StoreResult<std::vector<RunRow>> read_runs(std::string sql, PgParams params);
  StoreResult<std::vector<std::string>> read_texts(std::string sql, PgParams params);
  // The fence of a write that lets a request leave when `sends`, else none.
  std::optional<SendFence> fence_if(bool sends);

  std::unique_ptr<PgWorker> m_worker;
  int m_depth = 0;  // open in_transaction levels (the caller's thread)
  std::optional<SendFence> m_fence;  // under m_worker->callers()
};

}  // namespace bsched::storage::pg
