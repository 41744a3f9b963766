// SqliteRunStore on real files: creation, migrations, refusal of files that are not ours or
// are damaged (left byte-for-byte untouched), full disk, a locked database, and readers that
// run while a writer commits.
#include "storage/sqlite.h"
#include "storage/sqlite_schema.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace bsched::storage;
using namespace bsched::test;
namespace fs = std::filesystem;

namespace {

// Runs `sql` on `path` through the plain C API, as another program would.
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

std::string make_store_file(const ConfigTempDir& dir, int runs = 3) {
  auto path = (dir.path() / "state.db").string();
  auto store = SqliteRunStore::open(path);
  REQUIRE(store.has_value());
  // One transaction: every commit waits for the disk (synchronous=FULL).
  auto r = (*store)->in_transaction([&]() -> StoreResult<void> {
    for (int i = 0; i < runs; ++i) {
      run_in_state(**store, "a", t0() + std::chrono::seconds{i}, RunState::complete);
    }
    return {};
  });
  REQUIRE(r.has_value());
  return path;
}

// Opening `path` fails with a message containing `expect`, and the file is unchanged.
void check_refused(const std::string& path, const std::string& expect) {
  auto before = read_text(path);
  for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto s = SqliteRunStore::open(path, OpenOptions{.mode = mode, .verify = true});
    REQUIRE(!s.has_value());
    CHECK(s.error().message.find(expect) != std::string::npos);
    CHECK(s.error().message.find(path) != std::string::npos);
  }
  CHECK(read_text(path) == before);
  // Reading a WAL database may leave an empty -wal file beside it; never any content.
  CHECK((!fs::exists(path + "-wal") || fs::file_size(path + "-wal") == 0));
}

}  // namespace

TEST_SUITE("storage::sqlite_file") {
  TEST_CASE("a new database file is private, in WAL mode and at the current schema") {
    ConfigTempDir dir;
    auto path = make_store_file(dir);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto store = SqliteRunStore::open(path);
    REQUIRE(store.has_value());
    auto& db = (*store)->db();
    CHECK(db.query_int("PRAGMA application_id").value() == sqlite::k_application_id);
    CHECK(db.query_int("PRAGMA user_version").value() == sqlite::current_schema_version());
    CHECK(db.query_int("PRAGMA synchronous").value() == 2);  // FULL
    CHECK(db.query_int("SELECT count(*) FROM runs").value() == 3);
    auto q = db.prepare("PRAGMA journal_mode");
    REQUIRE(q->step().value());
    CHECK(q->text(0) == "wal");
  }

  TEST_CASE("a version 2 database is migrated: the runs table rebuilt with its rows, ids and indexes") {
    ConfigTempDir dir;
    auto path = (dir.path() / "v2.db").string();
    raw_exec(path, sqlite::migrations()[0] + sqlite::migrations()[1] +
                       "PRAGMA application_id = " + std::to_string(sqlite::k_application_id) +
                       "; PRAGMA user_version = 2;"
                       "INSERT INTO runs (id, run_id, job, trigger, slot, state, created_at) "
                       "VALUES (41, 'old-1', 'a', 'schedule', 100, 'running', 100000), "
                       "(42, 'old-2', 'a', 'manual', 100, 'complete', 100000);");
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    auto& db = (*store)->db();
    CHECK(db.query_int("PRAGMA user_version").value() == sqlite::current_schema_version());
    CHECK(db.query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                       "tbl_name = 'runs' AND sql IS NOT NULL").value() == 6);  // with version 8's runs_execution
    CHECK(db.query_int("SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%trigger IN (''schedule'', ''catchup'', ''manual'')%'").value() == 0);
    auto r = (*store)->find_run(41);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK((*r)->run_id == "old-1");
    CHECK((*r)->state == RunState::running);
    // The constraints still hold: a duplicate slot and an unknown trigger are refused.
    NewRun dup{"new-1", "a", Trigger::schedule, std::chrono::sys_seconds(std::chrono::seconds(100)), {}};
    CHECK((*store)->create_run(dup, bsched::SysMillis(std::chrono::seconds(200))).error().kind ==
          StoreErrorKind::duplicate_slot);
    CHECK_FALSE(db.exec("INSERT INTO runs (run_id, job, trigger, slot, state, created_at) "
                        "VALUES ('x', 'a', 'cron', 5, 'scheduled', 1)").has_value());
    CHECK(db.query_int("PRAGMA integrity_check = 1").has_value());
  }

  TEST_CASE("a version 3 database marks its runs that may have been accepted, whatever their last error says") {
    ConfigTempDir dir;
    auto path = (dir.path() / "v3.db").string();
    raw_exec(path, sqlite::migrations()[0] + sqlite::migrations()[1] + sqlite::migrations()[2] +
                       "PRAGMA application_id = " + std::to_string(sqlite::k_application_id) +
                       "; PRAGMA user_version = 3;"
                       "INSERT INTO runs (id, run_id, job, trigger, slot, state, attempts, "
                       "created_at, next_action_at, last_error) VALUES "
                       "(1, 'sent', 'a', 'schedule', 100, 'submitting', 1, 1, NULL, ''), "
                       "(2, 'reconciling', 'a', 'schedule', 101, 'submitting', 1, 1, 5, "
                       "'uncertain: connection reset'), "
                       "(3, 'retry', 'a', 'schedule', 102, 'submitting', 1, 1, 5, 'HTTP 503: busy'), "
                       "(4, 'waiting', 'a', 'schedule', 103, 'scheduled', 0, 1, NULL, '');");
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    auto open = (*store)->non_terminal_runs();
    REQUIRE(open->size() == 4);
    CHECK((*open)[0].maybe_accepted);
    CHECK((*open)[1].maybe_accepted);
    CHECK_FALSE((*open)[2].maybe_accepted);
    CHECK_FALSE((*open)[3].maybe_accepted);
  }

  TEST_CASE("a version 1 database is migrated and keeps its rows") {
    ConfigTempDir dir;
    auto path = (dir.path() / "v1.db").string();
    raw_exec(path, sqlite::migrations()[0] +
                       "PRAGMA application_id = " + std::to_string(sqlite::k_application_id) +
                       "; PRAGMA user_version = 1;"
                       "INSERT INTO runs (run_id, job, trigger, slot, state, created_at) "
                       "VALUES ('old-1', 'a', 'schedule', 100, 'running', 100000);");
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    auto& db = (*store)->db();
    CHECK(db.query_int("PRAGMA user_version").value() == sqlite::current_schema_version());
    CHECK(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'runs_in_flight'")
              .value() == 1);
    auto open = (*store)->non_terminal_runs();
    REQUIRE(open->size() == 1);
    CHECK(open->front().run_id == "old-1");
    CHECK(open->front().state == RunState::running);
  }

  TEST_CASE("a read-only open of a version 1 database asks for the daemon to migrate it") {
    ConfigTempDir dir;
    auto path = (dir.path() / "v1.db").string();
    raw_exec(path, sqlite::migrations()[0] +
                       "PRAGMA application_id = " + std::to_string(sqlite::k_application_id) +
                       "; PRAGMA user_version = 1;");
    auto s = SqliteRunStore::open(path, OpenMode::read_only);
    REQUIRE(!s.has_value());
    CHECK(s.error().message.find("start the daemon once to migrate it") != std::string::npos);
  }

  TEST_CASE("a file that is not a database is refused and left untouched") {
    ConfigTempDir dir;
    std::string junk;
    for (int i = 0; i < 2000; ++i) junk += "not a database, just text " + std::to_string(i);
    auto path = dir.write("junk.db", junk);
    check_refused(path, "not a readable boomi-sched database");
  }

  TEST_CASE("a database with a damaged header or damaged pages is refused and left untouched") {
    ConfigTempDir dir;
    auto path = make_store_file(dir, 300);
    SUBCASE("header") {
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(0);
      f << "garbage garbage!";
    }
    SUBCASE("pages") {
      auto size = fs::file_size(path);
      REQUIRE(size > 8 * 4096);
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      for (std::uintmax_t off = 4096; off + 4096 < size; off += 4096) {
        f.seekp(static_cast<std::streamoff>(off + 8));
        f << std::string(200, '\x5a');
      }
    }
    check_refused(path, path);
  }

  TEST_CASE("a database written by a newer version is refused and left untouched") {
    ConfigTempDir dir;
    auto path = make_store_file(dir);
    raw_exec(path, "PRAGMA user_version = 99");
    check_refused(path, "written by a newer boomi-sched (schema version 99");
  }

  TEST_CASE("another application's database is refused and left untouched") {
    ConfigTempDir dir;
    auto path = (dir.path() / "other.db").string();
    SUBCASE("no application id") {
      raw_exec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
                     "INSERT INTO customers (name) VALUES ('acme');");
    }
    SUBCASE("another application id") {
      raw_exec(path, "PRAGMA application_id = 7; PRAGMA user_version = 1;"
                     "CREATE TABLE runs (x);");
    }
    check_refused(path, "not a boomi-sched state database");
  }

  TEST_CASE("a missing file is created only in read-write mode") {
    ConfigTempDir dir;
    auto path = (dir.path() / "absent.db").string();
    auto ro = SqliteRunStore::open(path, OpenMode::read_only);
    REQUIRE(!ro.has_value());
    CHECK(ro.error().kind == StoreErrorKind::not_found);
    CHECK(ro.error().message.find("no state database at " + path) != std::string::npos);
    CHECK(!SqliteRunStore::open(path, OpenOptions{.create = false}).has_value());
    CHECK(!fs::exists(path));
    CHECK(SqliteRunStore::open((dir.path() / "no-dir" / "x.db").string()).error().message.find(
              "cannot create") != std::string::npos);
  }

  TEST_CASE("a full database is a full error, and the store keeps working for reads") {
    ConfigTempDir dir;
    auto path = make_store_file(dir, 1);
    auto store = std::move(*SqliteRunStore::open(path));
    auto pages = store->db().query_int("PRAGMA page_count").value();
    REQUIRE(store->db().exec("PRAGMA max_page_count = " + std::to_string(pages + 2)).has_value());
    std::string big(3000, 'x');
    StoreResult<RunRow> r = StoreError{};
    int created = 0;
    for (int i = 0; i < 100; ++i) {
      r = store->create_run(NewRun{"big-" + std::to_string(i), "a", Trigger::schedule,
                                   t0() + std::chrono::seconds{1000 + i}, "\"" + big + "\""},
                            ms(t0()));
      if (!r) break;
      ++created;
    }
    REQUIRE(!r.has_value());
    CHECK(r.error().kind == StoreErrorKind::full);
    CHECK(r.error().message.find("full") != std::string::npos);
    CHECK(store->db().query_int("SELECT count(*) FROM runs").value() == 1 + created);
    CHECK(store->non_terminal_runs().has_value());
    // A transition that fits in the existing pages still works.
    auto open = store->non_terminal_runs().value();
    if (!open.empty()) {
      CHECK(store->transition(open.front().id, RunState::missed, ms(t0())).has_value());
    }
  }

  TEST_CASE("a full database inside in_transaction rolls the whole group back") {
    ConfigTempDir dir;
    auto path = make_store_file(dir, 1);
    auto store = std::move(*SqliteRunStore::open(path));
    auto pages = store->db().query_int("PRAGMA page_count").value();
    REQUIRE(store->db().exec("PRAGMA max_page_count = " + std::to_string(pages + 2)).has_value());
    std::string big(3000, 'x');
    StoreError first_error;
    auto r = store->in_transaction([&]() -> StoreResult<void> {
      for (int i = 0; i < 100; ++i) {
        auto c = store->create_run(NewRun{"big-" + std::to_string(i), "a", Trigger::schedule,
                                          t0() + std::chrono::seconds{1000 + i},
                                          "\"" + big + "\""},
                                   ms(t0()));
        if (!c) {
          first_error = c.error();
          // Whatever the caller does next must not commit on its own.
          auto after = store->create_run(new_run("a", t0() + std::chrono::seconds{5000}),
                                         ms(t0()));
          CHECK(!after.has_value());
          return c.error();
        }
      }
      return {};
    });
    REQUIRE(!r.has_value());
    CHECK(first_error.kind == StoreErrorKind::full);
    CHECK(store->db().query_int("SELECT count(*) FROM runs").value() == 1);
    CHECK(!store->db().in_transaction());
  }

  TEST_CASE("a database locked by another writer is a busy error, then works again") {
    ConfigTempDir dir;
    auto path = make_store_file(dir, 1);
    auto store = std::move(*SqliteRunStore::open(
        path, OpenOptions{.busy_timeout = std::chrono::milliseconds{50}}));
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto r = store->create_run(new_run("a", t0() + std::chrono::seconds{50}), ms(t0()));
    REQUIRE(!r.has_value());
    CHECK(r.error().kind == StoreErrorKind::busy);
    CHECK(store->set_paused("a", true, "", "ops", ms(t0())).error().kind == StoreErrorKind::busy);
    // Readers are not blocked by the writer.
    CHECK(store->job_summary("a").has_value());
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);
    CHECK(store->create_run(new_run("a", t0() + std::chrono::seconds{50}), ms(t0())).has_value());
  }

  TEST_CASE("status and history queries read while another connection writes") {
    ConfigTempDir dir;
    auto path = make_store_file(dir, 10);
    std::atomic<bool> done{false};
    std::atomic<int> written{0};
    std::thread writer([&] {
      auto w = std::move(*SqliteRunStore::open(path));
      for (int i = 0; i < 60; ++i) {
        run_in_state(*w, "a", t0() + std::chrono::seconds{100 + i}, RunState::complete);
        written = i + 1;
      }
      done = true;
    });
    auto reader = SqliteRunStore::open(path, OpenMode::read_only);
    REQUIRE(reader.has_value());
    int reads = 0;
    size_t last_seen = 0;
    bool failed = false;
    while (!done || reads < 3) {
      auto h = (*reader)->history("a", 1000);
      auto s = (*reader)->job_summary("a");
      if (!h || !s) failed = true;
      if (h) {
        failed = failed || h->size() < last_seen;  // never goes backwards
        last_seen = h->size();
      }
      ++reads;
    }
    writer.join();
    CHECK(!failed);
    CHECK(reads >= 3);
    CHECK((*reader)->history("a", 1000)->size() == 70);
    CHECK(!(*reader)->set_horizon("a", t0()).has_value());  // read-only refuses writes
  }

  TEST_CASE("a version 4 database gains the daemon notes and keeps its heartbeat") {
    ConfigTempDir dir;
    auto path = (dir.path() / "v4.db").string();
    raw_exec(path, sqlite::migrations()[0] + sqlite::migrations()[1] + sqlite::migrations()[2] +
                       sqlite::migrations()[3] + "PRAGMA application_id = " +
                       std::to_string(sqlite::k_application_id) +
                       "; PRAGMA user_version = 4;"
                       "INSERT INTO heartbeat (id, pid, started_at, updated_at, config_loaded_at, "
                       "config_fingerprint, platform_state) VALUES (1, 77, 1, 2, 3, 'fp', 'ok');");
    auto store = SqliteRunStore::open(path);
    REQUIRE_MESSAGE(store.has_value(), (store ? "" : store.error().message));
    CHECK((*store)->read_heartbeat().value()->pid == 77);
    CHECK(!(*store)->read_daemon_notes().value().has_value());
    DaemonNotes notes{.pid = 77, .stopped_at = bsched::SysMillis(std::chrono::milliseconds(5)),
                      .reload_failed_at = bsched::SysMillis(std::chrono::milliseconds(4)),
                      .reload_errors = 2, .reload_error = "x.yaml:1:1: bad"};
    REQUIRE((*store)->write_daemon_notes(notes).has_value());
    auto back = (*store)->read_daemon_notes().value();
    REQUIRE(back.has_value());
    CHECK(back->stopped_at == notes.stopped_at);
    CHECK(back->reload_failed_at == notes.reload_failed_at);
    CHECK(back->reload_errors == 2);
    CHECK(back->reload_error == "x.yaml:1:1: bad");
    REQUIRE((*store)->write_daemon_notes(DaemonNotes{.pid = 78}).has_value());
    CHECK(!(*store)->read_daemon_notes().value()->stopped_at.has_value());
  }
}
