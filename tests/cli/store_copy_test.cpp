// `boomi-sched store copy` (storage/pg/pg_copy.h, docs/ha.md "Moving up from one host"): a
// SQLite state file filled through the RunStore API is copied into a database of the private
// PostgreSQL cluster and read back through PgRunStore; a non-empty target is refused unless
// --force; a failed copy commits nothing; the password never shows.
#include "storage/pg/pg_copy.h"
#include "storage/sqlite.h"
#include "tests/cli/cli_support.h"
#include "tests/storage/pg_store_test_util.h"
#include "tests/storage/store_test_util.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace bsched;
using namespace bsched::clitest;
using namespace std::chrono_literals;
using bsched::test::ms;
using bsched::test::t0;
using storage::RunState;

namespace {

std::unique_ptr<storage::SqliteRunStore> open_file(const std::string& path) {
  auto s = storage::SqliteRunStore::open(path);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

// A host's state: runs in several states of two jobs, a manual run, a gap, a paused job with
// a horizon, an alert to two sinks, one command taken and one not.
std::string fill_sqlite(const ConfigTempDir& dir, const std::string& name = "state.db") {
  auto path = (dir.path() / name).string();
  auto s = open_file(path);
  for (auto state : {RunState::complete, RunState::error, RunState::running, RunState::missed})
    test::run_in_state(*s, "nightly", t0() + std::chrono::hours(static_cast<int>(state)), state);
  auto sent = test::run_in_state(*s, "hourly", t0(), RunState::submitting);
  storage::RunUpdate u;
  u.maybe_accepted = true;
  u.request_id = "executionrecord-1";
  u.last_sent_at = ms(t0(), 5);
  u.next_action_at = std::optional<SysMillis>(ms(t0(), 9000));
  REQUIRE(s->update(sent.id, u).has_value());
  REQUIRE(s->create_run(test::new_run("hourly", t0() + 90s, storage::Trigger::manual), ms(t0()))
              .has_value());
  REQUIRE(s->record_gap(
               {0, "hourly", RunState::missed, t0() - 3h, t0() - 1h, 3, "daemon down", ms(t0())})
              .has_value());
  REQUIRE(s->set_paused("hourly", true, "maintenance", "ops", ms(t0(), 7)).has_value());
  REQUIRE(s->set_horizon("nightly", t0() + 4h).has_value());
  storage::NewAlert alert{storage::AlertKind::failed,
                          "nightly",
                          sent.id,
                          t0(),
                          "error",
                          "execution-9",
                          "it failed",
                          ms(t0()),
                          {"mail", "slack"}};
  REQUIRE(s->record_alert(alert).has_value());
  REQUIRE(s->enqueue_command({0, storage::CommandKind::pause, "nightly", "{}", "ops", ms(t0())})
              .has_value());
  REQUIRE(s->take_commands(ms(t0(), 1)).has_value());
  REQUIRE(s->enqueue_command({0, storage::CommandKind::trigger, "hourly", "{}", "ops", ms(t0())})
              .has_value());
  return path;
}

void check_same(const storage::RunRow& a, const storage::RunRow& b) {
  INFO("run " << a.run_id);
  CHECK(a.id == b.id);
  CHECK(a.run_id == b.run_id);
  CHECK(a.job == b.job);
  CHECK(a.trigger == b.trigger);
  CHECK(a.slot == b.slot);
  CHECK(a.state == b.state);
  CHECK(a.attempts == b.attempts);
  CHECK(a.request_id == b.request_id);
  CHECK(a.execution_id == b.execution_id);
  CHECK(a.remote_status == b.remote_status);
  CHECK(a.message == b.message);
  CHECK(a.last_error == b.last_error);
  CHECK(a.properties_json == b.properties_json);
  CHECK(a.maybe_accepted == b.maybe_accepted);
  CHECK(a.matched_by == b.matched_by);
  CHECK(a.created_at == b.created_at);
  CHECK(a.submitting_at == b.submitting_at);
  CHECK(a.submitted_at == b.submitted_at);
  CHECK(a.running_at == b.running_at);
  CHECK(a.finished_at == b.finished_at);
  CHECK(a.last_sent_at == b.last_sent_at);
  CHECK(a.next_action_at == b.next_action_at);
  CHECK(a.execution_time == b.execution_time);
  CHECK(a.duration_ms == b.duration_ms);
}

void check_same_state(storage::StateStore& lite, storage::StateStore& pg) {
  for (const char* job : {"nightly", "hourly"}) {
    INFO("job " << job);
    auto a = lite.recent_runs(job, 100), b = pg.recent_runs(job, 100);
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());
    REQUIRE(a->size() == b->size());
    for (std::size_t i = 0; i < a->size(); ++i) check_same((*a)[i], (*b)[i]);
    auto ja = lite.job_state(job), jb = pg.job_state(job);
    REQUIRE(ja.has_value());
    REQUIRE(jb.has_value());
    CHECK(ja->paused == jb->paused);
    CHECK(ja->pause_note == jb->pause_note);
    CHECK(ja->paused_by == jb->paused_by);
    CHECK(ja->paused_at == jb->paused_at);
    CHECK(ja->last_success_slot == jb->last_success_slot);
    CHECK(ja->horizon == jb->horizon);
    auto ga = lite.gaps(job, 100), gb = pg.gaps(job, 100);
    REQUIRE(ga.has_value());
    REQUIRE(gb.has_value());
    REQUIRE(ga->size() == gb->size());
    for (std::size_t i = 0; i < ga->size(); ++i) {
      CHECK((*ga)[i].id == (*gb)[i].id);
      CHECK((*ga)[i].kind == (*gb)[i].kind);
      CHECK((*ga)[i].first == (*gb)[i].first);
      CHECK((*ga)[i].last == (*gb)[i].last);
      CHECK((*ga)[i].count == (*gb)[i].count);
      CHECK((*ga)[i].reason == (*gb)[i].reason);
      CHECK((*ga)[i].recorded_at == (*gb)[i].recorded_at);
    }
    auto ha = lite.history(job, 100), hb = pg.history(job, 100);
    REQUIRE(ha.has_value());
    REQUIRE(hb.has_value());
    CHECK(ha->size() == hb->size());
  }
}

std::map<std::string, std::int64_t> by_table(const std::vector<storage::pg::CopiedTable>& t) {
  std::map<std::string, std::int64_t> out;
  for (const auto& c : t) out[c.table] = c.rows;
  return out;
}

std::string shell_quote(const std::string& s) {
  return "'" + s + "'";
}

test::CommandOutput store_copy(const ConfigTempDir& dir, const std::string& from,
                               const std::string& to, const std::string& extra = "") {
  return bin(dir, "store copy --from " + shell_quote(from) + " --to " + shell_quote(to) + extra);
}

}  // namespace

TEST_SUITE("cli::store_copy") {
  TEST_CASE("a host's runs, gaps, job state, alerts and pending commands are copied alike") {
    ConfigTempDir dir;
    auto path = fill_sqlite(dir);
    auto conninfo = test::pg_test_database("copy");
    auto copied = storage::pg::copy_sqlite_to_pg(path, conninfo);
    REQUIRE_MESSAGE(copied.has_value(), (copied ? "" : copied.error().message));
    auto counts = by_table(*copied);
    CHECK(counts["runs"] == 6);
    CHECK(counts["slot_gaps"] == 1);
    CHECK(counts["job_state"] == 2);
    CHECK(counts["alert_events"] == 1);
    CHECK(counts["alert_deliveries"] == 2);
    CHECK(counts["commands"] == 1);

    auto lite = open_file(path);
    auto pg = test::pg_store(conninfo);
    check_same_state(*lite, *pg);
    auto due = pg->due_alerts(ms(t0(), 1000000), 10);
    REQUIRE(due.has_value());
    CHECK(due->size() == 2);
    auto commands = pg->take_commands(ms(t0(), 2));
    REQUIRE(commands.has_value());
    REQUIRE(commands->size() == 1);
    CHECK((*commands)[0].kind == storage::CommandKind::trigger);
    CHECK((*commands)[0].job == "hourly");

    // The sequences were set past the copied ids: new rows do not collide.
    auto made = pg->create_run(test::new_run("nightly", t0() + 24h), ms(t0() + 24h));
    REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.error().message));
    CHECK(made->id == 7);
    REQUIRE(pg->record_gap(
                  {0, "nightly", RunState::missed, t0() + 30h, t0() + 30h, 1, "paused", ms(t0())})
                .has_value());
    CHECK(pg->row_count("slot_gaps").value() == 2);
  }

  TEST_CASE("a target holding runs is refused unchanged, and --force replaces its rows") {
    ConfigTempDir dir;
    auto first = fill_sqlite(dir, "first.db");
    auto conninfo = test::pg_test_database("copy");
    REQUIRE(storage::pg::copy_sqlite_to_pg(first, conninfo).has_value());
    auto second = (dir.path() / "second.db").string();
    {
      auto s = open_file(second);
      test::run_in_state(*s, "other", t0(), RunState::complete);
    }
    auto refused = storage::pg::copy_sqlite_to_pg(second, conninfo);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("not empty") != std::string::npos);
    CHECK(refused.error().message.find("--force") != std::string::npos);
    auto pg = test::pg_store(conninfo);
    CHECK(pg->row_count("runs").value() == 6);

    storage::pg::CopyOptions force;
    force.force = true;
    auto replaced = storage::pg::copy_sqlite_to_pg(second, conninfo, force);
    REQUIRE_MESSAGE(replaced.has_value(), (replaced ? "" : replaced.error().message));
    CHECK(by_table(*replaced)["runs"] == 1);
    CHECK(pg->row_count("runs").value() == 1);
    CHECK(pg->row_count("slot_gaps").value() == 0);
    CHECK(pg->row_count("alert_events").value() == 0);
    auto known = pg->known_jobs();
    REQUIRE(known.has_value());
    CHECK(*known == std::vector<std::string>{"other"});
  }

  TEST_CASE("a copy that fails halfway commits nothing: the target keeps what it held") {
    ConfigTempDir dir;
    auto conninfo = test::pg_test_database("copy");
    REQUIRE(storage::pg::copy_sqlite_to_pg(fill_sqlite(dir, "first.db"), conninfo).has_value());
    auto bad = (dir.path() / "bad.db").string();
    {
      auto s = open_file(bad);
      REQUIRE(s->in_transaction([&]() -> storage::StoreResult<void> {
                 for (int i = 0; i < 700; ++i)
                   test::run_in_state(*s, "other", t0() + std::chrono::minutes(i),
                                      RunState::complete);
                 return {};
               }).has_value());
      // A byte PostgreSQL refuses in a UTF-8 text column, in the second batch of runs.
      REQUIRE(
          s->db().exec("UPDATE runs SET message = CAST(x'ff' AS TEXT) WHERE id = 650").has_value());
    }
    storage::pg::CopyOptions force;
    force.force = true;
    auto failed = storage::pg::copy_sqlite_to_pg(bad, conninfo, force);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message.find("rows 501-700 of runs") != std::string::npos);
    auto pg = test::pg_store(conninfo);
    CHECK(pg->row_count("runs").value() == 6);
    CHECK(pg->row_count("slot_gaps").value() == 1);
    CHECK(pg->row_count("job_state").value() == 2);
  }

  TEST_CASE("the command prints one line per table and never the password") {
    ConfigTempDir dir;
    auto path = (dir.path() / "state.db").string();
    {
      auto s = open_file(path);
      REQUIRE(s->in_transaction([&]() -> storage::StoreResult<void> {
                 for (int i = 0; i < 1234; ++i)
                   test::run_in_state(*s, "bulk", t0() + std::chrono::minutes(i),
                                      RunState::complete);
                 return {};
               }).has_value());
    }
    auto conninfo = test::pg_test_database("copy") + " password=pw-never-shown";
    auto r = store_copy(dir, path, conninfo);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("runs: 1,234 rows copied\n") != std::string::npos);
    CHECK(r.out.find("slot_gaps: 0 rows copied\n") != std::string::npos);
    CHECK(r.out.find("job_state: 1 row copied\n") != std::string::npos);
    auto again = store_copy(dir, path, conninfo);
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("not empty") != std::string::npos);
    for (const auto& out : {r.out, r.err, again.out, again.err})
      CHECK(out.find("pw-never-shown") == std::string::npos);
  }

  TEST_CASE("an unreachable target is named by server, exit 1, never by password") {
    ConfigTempDir dir;
    auto path = fill_sqlite(dir);
    auto r = store_copy(
        dir, path,
        "host=127.0.0.1 port=9 dbname=x user=y password=pw-never-shown connect_timeout=2");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
    CHECK(r.out.empty());
    CHECK((r.out + r.err).find("pw-never-shown") == std::string::npos);
    auto unparsable = store_copy(dir, path, "password=pw-never-shown no_such_option=1");
    CHECK(unparsable.exit_code == 1);
    CHECK(unparsable.err.find("cannot be parsed") != std::string::npos);
    CHECK((unparsable.out + unparsable.err).find("pw-never-shown") == std::string::npos);
  }

  TEST_CASE("a file that is not a current boomi-sched database is refused and left untouched") {
    ConfigTempDir dir;
    auto conninfo = test::pg_test_database("copy");
    auto text = dir.write("notes.txt",
                          "hello, not a database at all, but long enough to be read "
                          "as a header by anyone who tries to open it as SQLite\n");
    auto r = store_copy(dir, text, conninfo);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not a readable boomi-sched database") != std::string::npos);
    CHECK(test::read_text(text).rfind("hello", 0) == 0);

    auto missing = store_copy(dir, (dir.path() / "missing.db").string(), conninfo);
    CHECK(missing.exit_code == 1);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "missing.db"));

    auto old = fill_sqlite(dir, "old.db");
    {
      auto db = storage::sqlite::Db::open(old, storage::sqlite::OpenFlags::read_write);
      REQUIRE(db.has_value());
      REQUIRE((*db)->exec("PRAGMA user_version = 6").has_value());
    }
    auto older = store_copy(dir, old, conninfo);
    CHECK(older.exit_code == 1);
    CHECK(older.err.find("start the daemon once to migrate it") != std::string::npos);
    CHECK(test::pg_store(conninfo)->row_count("runs").value() == 0);

    auto usage = bin(dir, "store copy --from " + shell_quote(old));
    CHECK(usage.exit_code == 2);
  }
}
