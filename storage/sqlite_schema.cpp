#include "storage/sqlite_schema.h"

#include <fmt/core.h>

#include <array>
#include <cstring>
#include <fstream>

namespace bsched::storage::sqlite {

namespace {

// Version 1: the tables. Instants: slots and gap ranges in Unix seconds, event times in Unix
// milliseconds (UTC). States and triggers are their lowercase names (run_state.h).
const char* const k_v1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'catchup', 'manual')),
  slot INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  request_id TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL DEFAULT '',
  remote_status TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  properties_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  submitting_at INTEGER,
  submitted_at INTEGER,
  running_at INTEGER,
  finished_at INTEGER,
  last_sent_at INTEGER,
  next_action_at INTEGER,
  execution_time INTEGER,
  duration_ms INTEGER,
  inbound_documents INTEGER,
  outbound_documents INTEGER,
  inbound_error_documents INTEGER
);
CREATE UNIQUE INDEX runs_slot_once ON runs (job, slot) WHERE trigger IN ('schedule', 'catchup');
CREATE TABLE slot_gaps (
  id INTEGER PRIMARY KEY,
  job TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('missed', 'skipped')),
  first INTEGER NOT NULL,
  last INTEGER NOT NULL,
  count INTEGER NOT NULL CHECK (count >= 1),
  reason TEXT NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE INDEX slot_gaps_job_last ON slot_gaps (job, last);
CREATE TABLE job_state (
  job TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  pause_note TEXT NOT NULL DEFAULT '',
  paused_by TEXT NOT NULL DEFAULT '',
  paused_at INTEGER,
  last_success_slot INTEGER,
  horizon INTEGER
) WITHOUT ROWID;
CREATE TABLE commands (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('trigger', 'pause', 'resume')),
  job TEXT NOT NULL,
  args_json TEXT NOT NULL DEFAULT '{}',
  requested_by TEXT NOT NULL DEFAULT '',
  requested_at INTEGER NOT NULL,
  taken_at INTEGER
);
CREATE TABLE heartbeat (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  config_loaded_at INTEGER NOT NULL,
  config_fingerprint TEXT NOT NULL,
  platform_state TEXT NOT NULL
);
)sql";

// Version 2: the indexes behind restart (runs in flight), status and history, so they stay
// fast with millions of rows.
const char* const k_v2 = R"sql(
CREATE INDEX runs_job_slot ON runs (job, slot);
CREATE INDEX runs_slot ON runs (slot);
CREATE INDEX runs_in_flight ON runs (job) WHERE finished_at IS NULL;
CREATE INDEX runs_missed ON runs (job, slot) WHERE state = 'missed';
CREATE INDEX slot_gaps_last ON slot_gaps (last);
CREATE INDEX commands_pending ON commands (id) WHERE taken_at IS NULL;
)sql";

// Version 3: the runs table rebuilt with its trigger CHECK written as comparisons. A CHECK
// of `IN` with three values makes SQLite build a temporary index on every INSERT and
// UPDATE of a run, which was a third of the cost of creating a run. Same columns, rows,
// ids and indexes. The table is spelled out again on purpose: each step is a frozen
// snapshot, and v1's text must stay what existing databases were created with.
const char* const k_v3 = R"sql(
CREATE TABLE runs_v3 (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger = 'schedule' OR trigger = 'catchup' OR trigger = 'manual'),
  slot INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  request_id TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL DEFAULT '',
  remote_status TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  properties_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  submitting_at INTEGER,
  submitted_at INTEGER,
  running_at INTEGER,
  finished_at INTEGER,
  last_sent_at INTEGER,
  next_action_at INTEGER,
  execution_time INTEGER,
  duration_ms INTEGER,
  inbound_documents INTEGER,
  outbound_documents INTEGER,
  inbound_error_documents INTEGER
);
INSERT INTO runs_v3 SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v3 RENAME TO runs;
CREATE UNIQUE INDEX runs_slot_once ON runs (job, slot) WHERE trigger IN ('schedule', 'catchup');
CREATE INDEX runs_job_slot ON runs (job, slot);
CREATE INDEX runs_slot ON runs (slot);
CREATE INDEX runs_in_flight ON runs (job) WHERE finished_at IS NULL;
CREATE INDEX runs_missed ON runs (job, slot) WHERE state = 'missed';
)sql";

// Version 4: the durable facts of a run's sending and matching.
// maybe_accepted: a request left and no sure refusal came back (recovery only reconciles
// such a run). Rows written by earlier versions carried that fact as a `submitting` row
// without a retry instant, or with an "uncertain: " error; both are marked here.
// matched_by: how the execution record was tied to the run ('request' or 'query').
// heartbeat.store_state: the state database's health as the daemon last wrote it.
const char* const k_v4 = R"sql(
ALTER TABLE runs ADD COLUMN maybe_accepted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN matched_by TEXT NOT NULL DEFAULT '';
UPDATE runs SET maybe_accepted = 1 WHERE state = 'submitting' AND
  (next_action_at IS NULL OR last_error LIKE 'uncertain: %');
UPDATE runs SET matched_by = 'request' WHERE execution_id != '' AND request_id != '';
UPDATE runs SET matched_by = 'query' WHERE execution_id != '' AND request_id = '';
ALTER TABLE heartbeat ADD COLUMN store_state TEXT NOT NULL DEFAULT 'ok';
)sql";

// Version 5: what the daemon's process shell records beside the engine's heartbeat, so that
// `status` tells a clean stop from a crash and shows a refused reload. One row (id 1):
// pid: the daemon the notes belong to; stopped_at: its clean stop (ms, NULL while it runs);
// reload_failed_at / reload_errors / reload_error: the last reload was refused (NULL / 0 /
// '' once a reload succeeds or the daemon restarts).
const char* const k_v5 = R"sql(
CREATE TABLE daemon_notes (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  pid INTEGER NOT NULL,
  stopped_at INTEGER,
  reload_failed_at INTEGER,
  reload_errors INTEGER NOT NULL DEFAULT 0,
  reload_error TEXT NOT NULL DEFAULT ''
);
)sql";

// Version 6: the alert outbox. An event is written in the transaction of the run change that
// caused it, with one delivery row per alert sink that wants it; the dispatcher sends the
// deliveries and marks them (delivered_at, or failed_at when given up). kind: failed, missed,
// late, stuck, auth, recovered; run: the runs row id (NULL for gaps and auth); slot: epoch
// seconds; times in ms. folded: held for the (sink, job, kind) group's summary.
const char* const k_v6 = R"sql(
CREATE TABLE alert_events (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  job TEXT NOT NULL,
  run INTEGER,
  slot INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY,
  event INTEGER NOT NULL REFERENCES alert_events (id),
  sink TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  folded INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER,
  failed_at INTEGER,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX alert_deliveries_event ON alert_deliveries (event);
CREATE INDEX alert_events_job_kind ON alert_events (job, kind);
)sql";

// Version 7: the runs table rebuilt (as in version 3: SQLite cannot alter a CHECK) so that its
// trigger may also be 'exec', a run sent by `boomi-sched exec` without the daemon. Same
// columns (version 4's two at the end), rows, ids and indexes; the one-run-per-slot index
// still covers schedule and catchup runs only.
const char* const k_v7 = R"sql(
CREATE TABLE runs_v7 (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  job TEXT NOT NULL,
  trigger TEXT NOT NULL CHECK (trigger = 'schedule' OR trigger = 'catchup' OR trigger = 'manual'
                               OR trigger = 'exec'),
  slot INTEGER NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  request_id TEXT NOT NULL DEFAULT '',
  execution_id TEXT NOT NULL DEFAULT '',
  remote_status TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  properties_json TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  submitting_at INTEGER,
  submitted_at INTEGER,
  running_at INTEGER,
  finished_at INTEGER,
  last_sent_at INTEGER,
  next_action_at INTEGER,
  execution_time INTEGER,
  duration_ms INTEGER,
  inbound_documents INTEGER,
  outbound_documents INTEGER,
  inbound_error_documents INTEGER,
  maybe_accepted INTEGER NOT NULL DEFAULT 0,
  matched_by TEXT NOT NULL DEFAULT ''
);
INSERT INTO runs_v7 SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v7 RENAME TO runs;
CREATE UNIQUE INDEX runs_slot_once ON runs (job, slot) WHERE trigger IN ('schedule', 'catchup');
CREATE INDEX runs_job_slot ON runs (job, slot);
CREATE INDEX runs_slot ON runs (slot);
CREATE INDEX runs_in_flight ON runs (job) WHERE finished_at IS NULL;
CREATE INDEX runs_missed ON runs (job, slot) WHERE state = 'missed';
)sql";

// Version 8: the index behind held_execution_ids (a reconcile never takes a record a stored
// run holds, whatever that run's times say).
const char* const k_v8 = R"sql(
CREATE INDEX runs_execution ON runs (execution_id) WHERE execution_id <> '';
)sql";

StoreError refuse(const std::string& path, std::string why) {
  return StoreError{StoreErrorKind::io, fmt::format("{}: {}", path, why)};
}
StoreError refuse(const Db& db, std::string why) { return refuse(db.path(), std::move(why)); }

StoreError refuse_foreign(const std::string& path) {
  return refuse(path, "not a boomi-sched state database (it holds other data); it was left "
                      "untouched: point storage.path at another file");
}

StoreError refuse_newer(const std::string& path, std::int64_t version) {
  return refuse(path, fmt::format("written by a newer boomi-sched (schema version {}, this "
                                  "version reads up to {}); it was left untouched: upgrade "
                                  "boomi-sched",
                                  version, current_schema_version()));
}

std::int64_t big_endian_32(const unsigned char* p) {
  return static_cast<std::int64_t>((std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                                   (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]});
}

}  // namespace

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> steps = {k_v1, k_v2, k_v3, k_v4, k_v5, k_v6, k_v7, k_v8};
  return steps;
}

StoreResult<std::int64_t> check_database(Db& db, bool writable) {
  // The first read of the header fails for files that are not SQLite databases at all.
  auto app = db.query_int("PRAGMA application_id");
  if (!app) {
    return refuse(db, fmt::format("not a readable boomi-sched database ({}); the file was left "
                                  "untouched: restore it from a backup or move it away",
                                  app.error().message));
  }
  BSCHED_TRY_ASSIGN(version, db.query_int("PRAGMA user_version"));
  BSCHED_TRY_ASSIGN(objects, db.query_int("SELECT count(*) FROM sqlite_schema"));
  if (*app == 0 && version == 0 && objects == 0) {
    if (!writable) return refuse(db, "the database is empty (no daemon has used it yet)");
    return std::int64_t{0};
  }
  if (*app != k_application_id) return refuse_foreign(db.path());
  if (version > current_schema_version()) return refuse_newer(db.path(), version);
  if (!writable && version < current_schema_version()) {
    return refuse(db, fmt::format("schema version {} is older than this boomi-sched's ({}); "
                                  "start the daemon once to migrate it",
                                  version, current_schema_version()));
  }
  return version;
}

StoreResult<void> check_file_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};  // SQLite reports why it cannot open the file
  std::array<unsigned char, 100> h{};
  in.read(reinterpret_cast<char*>(h.data()), h.size());
  auto got = in.gcount();
  if (got == 0) return {};
  static constexpr char k_magic[] = "SQLite format 3";  // with its terminating NUL: 16 bytes
  if (got < 100 || std::memcmp(h.data(), k_magic, sizeof k_magic) != 0) {
    return refuse(path, "not a readable boomi-sched database (not a SQLite file); the file was "
                        "left untouched: restore it from a backup or move it away");
  }
  auto version = big_endian_32(h.data() + 60);
  auto app = big_endian_32(h.data() + 68);
  if (app != 0 && app != k_application_id) return refuse_foreign(path);
  if (app == k_application_id && version > current_schema_version()) {
    return refuse_newer(path, version);
  }
  return {};
}

StoreResult<void> migrate(Db& db, std::int64_t from) {
  const auto& steps = migrations();
  for (auto v = from; v < current_schema_version(); ++v) {
    auto tx = Transaction::begin(db);
    if (!tx) return tx.error();
    BSCHED_TRY(db.exec(steps[static_cast<size_t>(v)]));
    BSCHED_TRY(db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}",
                                   k_application_id, v + 1)));
    auto c = tx->commit();
    if (!c) {
      c.error().message += fmt::format(" (migrating to schema version {})", v + 1);
      return c.error();
    }
  }
  return {};
}

}  // namespace bsched::storage::sqlite
