// Migrations of the PostgreSQL schema (see pg_migrations.h).
#include "storage/pg/pg_migrations.h"

#include <fmt/core.h>

#include <array>
#include <string_view>
#include <vector>

namespace bsched::storage::pg {

using boost::asio::awaitable;

namespace {

// Migration n (1-based) is k_migrations[n - 1]: statements run in order.
const std::array<std::vector<std::string_view>, k_pg_schema_version> k_migrations{{
    {
        R"(CREATE TABLE leader_lease (
             name text PRIMARY KEY,
             holder text NOT NULL,
             epoch bigint NOT NULL,
             acquired_at timestamptz,
             renewed_at timestamptz,
             expires_at timestamptz NOT NULL))",
        R"(CREATE TABLE nodes (
             name text PRIMARY KEY,
             version text,
             role text,
             last_seen timestamptz,
             epoch bigint))",
    },
    {
        // The run store (pg_run_store.h): the tables of the SQLite schema (version 7) with
        // the same instants (slots in Unix seconds, times in Unix ms, as bigint) so rows
        // compare alike. Job names compare byte-wise (COLLATE "C"), as in SQLite.
        R"(CREATE TABLE runs (
             id bigserial PRIMARY KEY,
             run_id text NOT NULL UNIQUE,
             job text COLLATE "C" NOT NULL,
             trigger text NOT NULL CHECK (trigger IN ('schedule', 'catchup', 'manual', 'exec')),
             slot bigint NOT NULL,
             state text NOT NULL,
             attempts integer NOT NULL DEFAULT 0,
             request_id text NOT NULL DEFAULT '',
             execution_id text NOT NULL DEFAULT '',
             remote_status text NOT NULL DEFAULT '',
             message text NOT NULL DEFAULT '',
             last_error text NOT NULL DEFAULT '',
             properties_json text NOT NULL DEFAULT '{}',
             created_at bigint NOT NULL,
             submitting_at bigint,
             submitted_at bigint,
             running_at bigint,
             finished_at bigint,
             last_sent_at bigint,
             next_action_at bigint,
             execution_time bigint,
             duration_ms bigint,
             inbound_documents bigint,
             outbound_documents bigint,
             inbound_error_documents bigint,
             maybe_accepted boolean NOT NULL DEFAULT false,
             matched_by text NOT NULL DEFAULT ''))",
        // One run per slot of a job's schedule, whichever node writes it.
        "CREATE UNIQUE INDEX runs_slot_once ON runs (job, slot) "
        "WHERE trigger IN ('schedule', 'catchup')",
        "CREATE INDEX runs_job_slot ON runs (job, slot)",
        "CREATE INDEX runs_slot ON runs (slot)",
        "CREATE INDEX runs_in_flight ON runs (job) WHERE finished_at IS NULL",
        "CREATE INDEX runs_missed ON runs (job, slot) WHERE state = 'missed'",
        R"(CREATE TABLE slot_gaps (
             id bigserial PRIMARY KEY,
             job text COLLATE "C" NOT NULL,
             kind text NOT NULL CHECK (kind IN ('missed', 'skipped')),
             first bigint NOT NULL,
             last bigint NOT NULL,
             count bigint NOT NULL CHECK (count >= 1),
             reason text NOT NULL,
             recorded_at bigint NOT NULL))",
        "CREATE INDEX slot_gaps_job_last ON slot_gaps (job, last)",
        "CREATE INDEX slot_gaps_last ON slot_gaps (last)",
        R"(CREATE TABLE job_state (
             job text COLLATE "C" PRIMARY KEY,
             paused boolean NOT NULL DEFAULT false,
             pause_note text NOT NULL DEFAULT '',
             paused_by text NOT NULL DEFAULT '',
             paused_at bigint,
             last_success_slot bigint,
             horizon bigint))",
        R"(CREATE TABLE commands (
             id bigserial PRIMARY KEY,
             kind text NOT NULL CHECK (kind IN ('trigger', 'pause', 'resume')),
             job text COLLATE "C" NOT NULL,
             args_json text NOT NULL DEFAULT '{}',
             requested_by text NOT NULL DEFAULT '',
             requested_at bigint NOT NULL,
             taken_at bigint))",
        "CREATE INDEX commands_pending ON commands (id) WHERE taken_at IS NULL",
        R"(CREATE TABLE heartbeat (
             id integer PRIMARY KEY CHECK (id = 1),
             pid integer NOT NULL,
             started_at bigint NOT NULL,
             updated_at bigint NOT NULL,
             config_loaded_at bigint NOT NULL,
             config_fingerprint text NOT NULL,
             platform_state text NOT NULL,
             store_state text NOT NULL DEFAULT 'ok'))",
        R"(CREATE TABLE daemon_notes (
             id integer PRIMARY KEY CHECK (id = 1),
             pid integer NOT NULL,
             stopped_at bigint,
             reload_failed_at bigint,
             reload_errors integer NOT NULL DEFAULT 0,
             reload_error text NOT NULL DEFAULT ''))",
        R"(CREATE TABLE alert_events (
             id bigserial PRIMARY KEY,
             kind text NOT NULL,
             job text COLLATE "C" NOT NULL,
             run bigint,
             slot bigint NOT NULL,
             state text NOT NULL DEFAULT '',
             execution_id text NOT NULL DEFAULT '',
             message text NOT NULL DEFAULT '',
             created_at bigint NOT NULL))",
        R"(CREATE TABLE alert_deliveries (
             id bigserial PRIMARY KEY,
             event bigint NOT NULL REFERENCES alert_events (id),
             sink text NOT NULL,
             attempts integer NOT NULL DEFAULT 0,
             next_attempt_at bigint NOT NULL,
             folded boolean NOT NULL DEFAULT false,
             delivered_at bigint,
             failed_at bigint,
             last_error text NOT NULL DEFAULT ''))",
        "CREATE INDEX alert_deliveries_pending ON alert_deliveries (next_attempt_at) "
        "WHERE delivered_at IS NULL AND failed_at IS NULL",
        "CREATE INDEX alert_deliveries_event ON alert_deliveries (event)",
        "CREATE INDEX alert_events_job_kind ON alert_events (job, kind)",
    },
    {
        // held_execution_ids: a reconcile never takes a record a stored run holds.
        "CREATE INDEX runs_execution ON runs (execution_id) WHERE execution_id <> ''",
    },
}};

awaitable<Result<void>> run(PgConnection& c, std::string_view sql, PgParams params,
                            Millis deadline) {
  auto r = co_await c.query(sql, std::move(params), deadline);
  if (!r)
    co_return make_error(fmt::format("migrating the PostgreSQL schema: {}", r.error().message));
  co_return Result<void>{};
}

// Inside the open transaction: the version found, after applying the missing migrations.
awaitable<Result<int>> migrate_locked(PgConnection& c, Millis d) {
  // (Parameters built before co_await: g++ 12 miscompiles a braced list inside it.)
  PgParams key{std::to_string(k_pg_migration_lock)};
  auto locked = co_await run(c, "SELECT pg_advisory_xact_lock($1::bigint)", std::move(key), d);
  if (!locked) co_return locked.error();
  auto made = co_await run(c,
                           "CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY "
                           "KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                           {}, d);
  if (!made) co_return made.error();
  auto found = co_await c.query("SELECT coalesce(max(version), 0) FROM schema_version", {}, d);
  if (!found)
    co_return make_error(fmt::format("reading the schema version: {}", found.error().message));
  int before = std::stoi(found->at(0, 0).value_or("0"));
  if (before > k_pg_schema_version)
    co_return make_error(fmt::format(
        "the PostgreSQL schema is version {}, newer than this program knows ({}): run the same "
        "boomi-sched version on every node",
        before, k_pg_schema_version));
  for (int v = before + 1; v <= k_pg_schema_version; ++v) {
    for (auto sql : k_migrations[static_cast<std::size_t>(v - 1)]) {
      auto step = co_await run(c, sql, {}, d);
      if (!step) co_return step.error();
    }
    PgParams version{std::to_string(v)};
    auto noted = co_await run(c, "INSERT INTO schema_version (version) VALUES ($1::integer)",
                              std::move(version), d);
    if (!noted) co_return noted.error();
  }
  co_return before;
}

}  // namespace

awaitable<Result<int>> run_migrations(PgConnection& c, Millis statement_deadline) {
  auto begun = co_await run(c, "BEGIN", {}, statement_deadline);
  if (!begun) co_return begun.error();
  auto before = co_await migrate_locked(c, statement_deadline);
  if (!before) {
    if (c.connected()) (void)co_await c.query("ROLLBACK", {}, statement_deadline);
    co_return before.error();
  }
  auto committed = co_await run(c, "COMMIT", {}, statement_deadline);
  if (!committed) co_return committed.error();
  co_return *before;
}

}  // namespace bsched::storage::pg
