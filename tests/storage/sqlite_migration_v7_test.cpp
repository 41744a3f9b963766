// Schema version 7: the runs table rebuilt so that a run's trigger may be 'exec' (a run sent
// by `boomi-sched exec`). A version-6 database built from the frozen v1..v6 statements keeps
// its rows, ids, columns and indexes, and its CHECK still refuses unknown triggers.
#include "storage/sqlite.h"
#include "storage/sqlite_schema.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>

using namespace bsched::storage;
using namespace bsched::test;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  std::string text = msg ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, text);
}

// A database exactly as version 6 left it, with three runs (one of each v6 trigger).
std::string make_v6_file(const ConfigTempDir& dir) {
  auto path = (dir.path() / "v6.db").string();
  std::string sql;
  for (int v = 0; v < 6; ++v) sql += sqlite::migrations()[static_cast<size_t>(v)];
  sql += "PRAGMA application_id = " + std::to_string(sqlite::k_application_id) +
         "; PRAGMA user_version = 6;"
         "INSERT INTO runs (id, run_id, job, trigger, slot, state, attempts, request_id, "
         "execution_id, created_at, finished_at, maybe_accepted, matched_by) VALUES "
         "(7, 'r-sched', 'a', 'schedule', 100, 'complete', 1, 'executionrecord-1', "
         "'execution-1', 100000, 101000, 0, 'request'), "
         "(8, 'r-catch', 'a', 'catchup', 160, 'submitting', 1, '', '', 160000, NULL, 1, ''), "
         "(9, 'r-manual', 'a', 'manual', 100, 'error', 1, 'executionrecord-3', 'execution-3', "
         "100500, 102000, 0, 'request');";
  raw_exec(path, sql);
  return path;
}

std::int64_t count(sqlite::Db& db, const std::string& sql) { return db.query_int(sql).value(); }

}  // namespace

TEST_SUITE("storage::sqlite") {
  TEST_CASE("a version 6 database is migrated to 7 and on: runs keep rows, ids, fields and indexes") {
    ConfigTempDir dir;
    auto path = make_v6_file(dir);
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    auto& db = (*store)->db();
    CHECK(db.query_int("PRAGMA user_version").value() == sqlite::current_schema_version());
    CHECK(sqlite::current_schema_version() == 8);
    CHECK(count(db, "SELECT count(*) FROM runs") == 3);
    CHECK(count(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_v7'") == 0);
    // The five indexes of the runs table, under their names.
    for (const char* name :
         {"runs_slot_once", "runs_job_slot", "runs_slot", "runs_in_flight", "runs_missed"}) {
      CHECK_MESSAGE(count(db, std::string("SELECT count(*) FROM sqlite_schema WHERE type = "
                                          "'index' AND tbl_name = 'runs' AND name = '") +
                                  name + "'") == 1,
                    name);
    }
    CHECK(count(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                    "tbl_name = 'runs' AND sql IS NOT NULL") == 6);  // with version 8's runs_execution
    auto catchup = (*store)->find_run(8);
    REQUIRE(catchup.has_value());
    REQUIRE(catchup->has_value());
    CHECK((*catchup)->run_id == "r-catch");
    CHECK((*catchup)->trigger == Trigger::catchup);
    CHECK((*catchup)->state == RunState::submitting);
    CHECK((*catchup)->maybe_accepted);
    auto done = (*store)->find_run(7);
    REQUIRE(done->has_value());
    CHECK((*done)->execution_id == "execution-1");
    CHECK((*done)->matched_by == "request");
    CHECK((*done)->finished_at.has_value());
    auto manual = (*store)->find_run(9);
    REQUIRE(manual->has_value());
    CHECK((*manual)->trigger == Trigger::manual);
    CHECK((*manual)->state == RunState::error);
    CHECK(db.query_int("PRAGMA integrity_check = 1").has_value());
  }

  TEST_CASE("after version 7 an exec run is stored, unknown triggers and duplicate slots are refused") {
    ConfigTempDir dir;
    auto path = make_v6_file(dir);
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    auto& db = (*store)->db();
    auto at = sys_seconds(seconds(100));
    // An exec run may share the instant of a slot's run: the one-run-per-slot index is
    // limited to schedule and catchup runs.
    NewRun exec_run{"r-exec", "a", Trigger::exec, at, "{}"};
    exec_run.submitting = true;
    auto row = (*store)->create_run(exec_run, bsched::SysMillis(seconds(200)));
    REQUIRE_MESSAGE(row.has_value(), (row ? "" : row.error().message));
    CHECK(row->state == RunState::submitting);
    auto back = (*store)->find_run(row->id);
    REQUIRE(back->has_value());
    CHECK((*back)->trigger == Trigger::exec);
    CHECK(count(db, "SELECT count(*) FROM runs WHERE trigger = 'exec'") == 1);
    // An exec run never moves the job's horizon.
    CHECK_FALSE((*store)->job_state("a")->horizon.has_value());
    NewRun dup{"r-dup", "a", Trigger::schedule, at, {}};
    auto refused = (*store)->create_run(dup, bsched::SysMillis(seconds(200)));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == StoreErrorKind::duplicate_slot);
    CHECK_FALSE(db.exec("INSERT INTO runs (run_id, job, trigger, slot, state, created_at) "
                        "VALUES ('x', 'a', 'cron', 5, 'scheduled', 1)")
                    .has_value());
    CHECK_FALSE(db.exec("INSERT INTO runs (run_id, job, trigger, slot, state, created_at) "
                        "VALUES ('y', 'a', 'EXEC', 5, 'scheduled', 1)")
                    .has_value());
  }
}
