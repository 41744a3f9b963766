// Copying one host's SQLite state file into the PostgreSQL store of an active/standby pair
// (`boomi-sched store copy`, docs/ha.md "Moving up from one host").
//
// What is copied: every row of runs, slot_gaps, job_state, alert_events and alert_deliveries,
// with their ids, and the commands not yet taken (appended, under new ids). Not heartbeat or
// daemon_notes: a new pair writes its own. Columns are matched by name (the PostgreSQL tables
// mirror SQLite schema version 7 column for column); SQLite's 0/1 go to boolean columns.
//
// The SQLite file is opened read-only (SqliteRunStore::open with OpenMode::read_only): a file
// that is not a boomi-sched database, or of an older schema version, is refused and left
// untouched. It is read inside one read transaction, so a daemon still writing it cannot
// make the copy inconsistent (stop it first all the same: later writes are not copied).
//
// The PostgreSQL side: the schema is migrated first (pg_migrations.h), then the whole copy is
// one transaction, all or nothing. A target whose copied tables hold rows is refused unless
// `force`, which empties them in that same transaction. After the rows, each bigserial
// sequence is set past the table's largest id; the row counts are compared (SQLite == PostgreSQL)
// before the commit, and any difference rolls everything back.
//
// Threads: synchronous; runs its own io_context on the caller's thread. Errors name the server
// by conninfo_target (host, port, dbname, user), never by the connection string.
#pragma once

#include "base/result.h"
#include "base/time_util.h"

#include <cstdint>
#include <string>
#include <vector>

namespace bsched::storage::pg {

struct CopyOptions {
  bool force = false;                 // empty the target's copied tables instead of refusing
  int batch_rows = 500;               // rows per multi-row INSERT
  Millis connect_deadline{10000};     // to open the connection
  Millis statement_deadline{120000};  // each statement (one batch, the counts, the commit)
};

// One table's outcome: rows written to PostgreSQL (equal to the rows read from SQLite).
struct CopiedTable {
  std::string table;
  std::int64_t rows = 0;
};

// Copies `sqlite_path` into the database `conninfo` names. The tables in the order copied
// (runs, slot_gaps, job_state, alert_events, alert_deliveries, commands), or what went wrong;
// on any error nothing was committed.
Result<std::vector<CopiedTable>> copy_sqlite_to_pg(const std::string& sqlite_path,
                                                   const std::string& conninfo,
                                                   const CopyOptions& options = {});

}  // namespace bsched::storage::pg
