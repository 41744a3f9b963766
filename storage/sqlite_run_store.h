// The RunStore on one SQLite file (product.md §7): WAL mode so that `status`, `history` and
// plain `sqlite3` read while the daemon writes; synchronous=FULL so that a committed
// transition survives a crash or power loss; every statement prepared once and cached.
// docs/storage.md describes the schema and the migrations.
//
// A store is used from one thread. Errors come back as StoreError values; nothing throws.
#pragma once

#include "storage/state_reads.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace bsched::storage {

namespace sqlite {
class Db;
}

enum class OpenMode {
  read_write,  // creates the file (mode 0600) when missing, migrates older schemas
  read_only,   // never writes; for status / history while the daemon runs
};

struct OpenOptions {
  OpenMode mode = OpenMode::read_write;
  bool create = true;  // read_write: create a missing file (false: a missing file is an error)
  // Run PRAGMA quick_check before use and refuse a damaged file (the daemon at
  // start-up; short-lived commands skip it).
  bool verify = false;
  std::chrono::milliseconds busy_timeout{5000};  // wait this long for another writer's lock
};

class SqliteRunStore final : public StateStore {
 public:
  // `path` may be ":memory:" (tests). Refuses corrupt files, other applications' databases and
  // newer schema versions without modifying them.
  static StoreResult<std::unique_ptr<SqliteRunStore>> open(const std::string& path,
                                                           OpenMode mode = OpenMode::read_write);
  static StoreResult<std::unique_ptr<SqliteRunStore>> open(const std::string& path,
                                                           const OpenOptions& options);
  ~SqliteRunStore() override;

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
  // The alert outbox (sqlite_alert_outbox.cpp).
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

  // StateReads (sqlite_run_store_read.cpp); indexed, so they stay fast with millions of rows.
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

  // The underlying connection (tests, benchmarks).
  sqlite::Db& db() { return *m_db; }

 private:
  explicit SqliteRunStore(std::unique_ptr<sqlite::Db> db);

  StoreResult<RunRow> load_run(std::int64_t id);
  StoreResult<void> write_run(const RunRow& row);
  StoreResult<void> advance_horizon(const std::string& job, sys_seconds to);
  StoreResult<RunRow> insert_run(const NewRun& run, SysMillis now);  // create_run's work
  StoreResult<void> note_success(const std::string& job, sys_seconds slot);
  StoreResult<std::vector<SlotGap>> read_gaps(const std::string& sql, const std::string& job,
                                              int limit);

  std::unique_ptr<sqlite::Db> m_db;
};

}  // namespace bsched::storage
