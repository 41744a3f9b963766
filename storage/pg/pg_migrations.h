// The PostgreSQL schema and its migrations. Every node runs them at start; they run in one
// transaction under a transaction-scoped advisory lock, so two nodes starting together apply
// each migration once (the second waits, then finds nothing to do).
//
// Schema (version 1):
//   schema_version(version integer primary key, applied_at timestamptz)
//   leader_lease(name text primary key, holder text not null, epoch bigint not null,
//                acquired_at timestamptz, renewed_at timestamptz, expires_at timestamptz not null)
//   nodes(name text primary key, version text, role text, last_seen timestamptz, epoch bigint)
// Version 2: the run store's tables (pg_run_store.h): runs with the unique (job, slot) index
//   of schedule and catch-up runs, slot_gaps, job_state, commands, heartbeat, daemon_notes,
//   alert_events, alert_deliveries; instants as bigint seconds / milliseconds since the epoch.
#pragma once

#include "base/result.h"
#include "base/time_util.h"
#include "storage/pg/pg_connection.h"

#include <boost/asio/awaitable.hpp>

namespace bsched::storage::pg {

// The schema version this program writes and reads.
constexpr int k_pg_schema_version = 3;

// The advisory lock key the migrations hold (ASCII "bschmig").
constexpr long long k_pg_migration_lock = 0x62736368'6d6967;

// Brings the database to k_pg_schema_version and returns the version found before (0 for an
// empty database). Each statement has `statement_deadline`. Refuses a database whose schema
// is newer than this program. On failure the transaction is rolled back (or the connection is
// closed by a time-out, which ends the transaction on the server).
boost::asio::awaitable<Result<int>> run_migrations(PgConnection& c, Millis statement_deadline);

}  // namespace bsched::storage::pg
