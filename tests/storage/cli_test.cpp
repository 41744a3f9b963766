// `status`, `history`, `trigger`, `pause` and `resume` run as the real binary against a
// temporary configuration and a state database prepared by the test.
#include "tests/storage/store_test_util.h"
#include "tests/support/config_test_util.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <fmt/core.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <unistd.h>

#include <string>

using namespace bsched::storage;
using bsched::test::CommandOutput;
using bsched::test::ConfigTempDir;
namespace json = boost::json;

namespace {

bsched::SysMillis real_now() {
  return std::chrono::time_point_cast<bsched::Millis>(std::chrono::system_clock::now());
}

// A configuration with jobs `nightly` (New York) and `every` (@every 15m); returns its path.
std::string write_config(const ConfigTempDir& dir) {
  return dir.write("boomi-sched.yaml",
                   "platform:\n"
                   "  account_id: acme-AB12CD\n"
                   "  username: BOOMI_TOKEN.ops@acme.example\n"
                   "  token_file: token\n"
                   "storage:\n"
                   "  path: state.db\n"
                   "jobs:\n"
                   "  nightly:\n"
                   "    schedule: \"30 2 * * MON-FRI\"\n"
                   "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
                   "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n"
                   "    timezone: America/New_York\n"
                   "  every:\n"
                   "    schedule: \"@every 15m\"\n"
                   "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
                   "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n");
}

std::unique_ptr<SqliteRunStore> make_db(const ConfigTempDir& dir) {
  auto s = SqliteRunStore::open((dir.path() / "state.db").string());
  REQUIRE(s.has_value());
  return std::move(*s);
}

CommandOutput run(const ConfigTempDir& dir, const std::string& args) {
  auto cfg = (dir.path() / "boomi-sched.yaml").string();
  return bsched::test::run_command(
      std::string("'") + BSCHED_BINARY + "' " + args + " --config '" + cfg + "'", dir);
}

void write_live_heartbeat(SqliteRunStore& store) {
  auto now = real_now();
  Heartbeat h{static_cast<int>(::getpid()), now - std::chrono::hours{26}, now,
              now - std::chrono::hours{1}, "fp", "ok"};
  REQUIRE(store.write_heartbeat(h).has_value());
}

// Two days of history: a finished nightly run, a failed `every` run, missed `every` slots.
void write_history(SqliteRunStore& store) {
  auto slot = std::chrono::floor<std::chrono::seconds>(real_now()) - std::chrono::hours{2};
  auto ok = bsched::test::run_in_state(store, "nightly", slot, RunState::running);
  RunUpdate done;
  done.execution_id = "execution-42";
  done.remote_status = "COMPLETE";
  done.duration_ms = 192000;
  REQUIRE(store.transition(ok.id, RunState::complete, bsched::test::ms(slot, 192500), done)
              .has_value());
  auto bad = bsched::test::run_in_state(store, "every", slot, RunState::running);
  RunUpdate failed;
  failed.message = "Map failed: field CustomerId missing";
  failed.request_id = "executionrecord-77";
  REQUIRE(store.transition(bad.id, RunState::error, bsched::test::ms(slot, 5000), failed)
              .has_value());
  REQUIRE(store.record_gap(SlotGap{0, "every", RunState::missed, slot + std::chrono::minutes{15},
                                   slot + std::chrono::minutes{75}, 5, "daemon down",
                                   bsched::test::ms(slot)})
              .has_value());
}

}  // namespace

TEST_SUITE("storage::cli") {
  TEST_CASE("status and history without a database say so, exit 0 and create nothing") {
    ConfigTempDir dir;
    write_config(dir);
    auto status = run(dir, "status");
    CHECK(status.exit_code == 0);
    CHECK(status.out.find("daemon: never started (no state database at " +
                          (dir.path() / "state.db").string()) != std::string::npos);
    auto history = run(dir, "history");
    CHECK(history.exit_code == 0);
    CHECK(history.err.find("no state database at " + (dir.path() / "state.db").string()) !=
          std::string::npos);
    CHECK(!std::filesystem::exists(dir.path() / "state.db"));
  }

  TEST_CASE("status prints the daemon line and one line per job") {
    ConfigTempDir dir;
    write_config(dir);
    {
      auto store = make_db(dir);
      write_live_heartbeat(*store);
      write_history(*store);
    }
    auto r = run(dir, "status");
    INFO(r.out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err == "");
    auto header = fmt::format("daemon: running (pid {}, up 1d 2h, config loaded ", ::getpid());
    CHECK(r.out.starts_with(header));
    CHECK(r.out.find("UTC, platform ok)\nJOB ") != std::string::npos);
    CHECK(r.out.find("30 2 * * MON-FRI (NY)") != std::string::npos);
    CHECK(r.out.find("COMPLETE 3m12s") != std::string::npos);
    CHECK(r.out.find("ERROR 4.9s \"Map failed: fie…\"") != std::string::npos);
    CHECK(r.out.find("5\n") != std::string::npos);  // every: 5 missed, never succeeded
    CHECK(r.out.find("@every 15m  ") != std::string::npos);
  }

  TEST_CASE("status --json carries every field") {
    ConfigTempDir dir;
    write_config(dir);
    {
      auto store = make_db(dir);
      write_history(*store);
    }
    auto r = run(dir, "status --json");
    REQUIRE(r.exit_code == 0);
    auto v = json::parse(r.out).as_object();
    CHECK(v.at("daemon").at("running") == false);
    auto jobs = v.at("jobs").as_array();
    REQUIRE(jobs.size() == 2);
    auto every = jobs[0].as_object();
    CHECK(every.at("job") == "every");
    CHECK(every.at("schedule") == "@every 15m");
    CHECK(every.at("in_flight") == 0);
    CHECK(every.at("missed_since_success") == 5);
    CHECK(every.at("paused") == false);
    CHECK(every.at("last_run").at("state") == "error");
    CHECK(every.at("last_run").at("message") == "Map failed: field CustomerId missing");
    auto nightly = jobs[1].as_object();
    CHECK(nightly.at("timezone") == "America/New_York");
    CHECK(nightly.at("last_run").at("execution_id") == "execution-42");
    CHECK(nightly.at("last_success_slot").is_string());
    CHECK(nightly.contains("next"));
  }

  TEST_CASE("status lists jobs removed from the configuration while their runs are in flight") {
    ConfigTempDir dir;
    write_config(dir);
    {
      auto store = make_db(dir);
      auto slot = std::chrono::floor<std::chrono::seconds>(real_now()) - std::chrono::hours{1};
      bsched::test::run_in_state(*store, "retired", slot, RunState::submitted);
      bsched::test::run_in_state(*store, "finished", slot, RunState::complete);
    }
    auto r = run(dir, "status");
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\nretired  (not in the configuration)  -  ") != std::string::npos);
    CHECK(r.out.find("finished") == std::string::npos);
    auto j = json::parse(run(dir, "status --json").out).at("jobs").as_array();
    REQUIRE(j.size() == 3);
    CHECK(j[2].at("job") == "retired");
    CHECK(j[2].at("removed") == true);
    CHECK(j[2].at("in_flight") == 1);
  }

  TEST_CASE("a stale heartbeat of a live pid is a silent daemon, not a running one") {
    ConfigTempDir dir;
    write_config(dir);
    auto store = make_db(dir);
    auto now = real_now();
    REQUIRE(store->write_heartbeat(Heartbeat{static_cast<int>(::getpid()), now, now -
                                             std::chrono::minutes{3}, now, "fp", "ok"})
                .has_value());
    auto r = run(dir, "status");
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with(fmt::format("daemon: pid {} is alive but silent since ", ::getpid())));
    auto js = run(dir, "status --json");
    auto daemon = json::parse(js.out).at("daemon");
    CHECK(daemon.at("running") == false);
    CHECK(daemon.at("silent") == true);
  }

  TEST_CASE("a dead pid means the daemon is not running") {
    ConfigTempDir dir;
    write_config(dir);
    auto store = make_db(dir);
    auto now = real_now();
    {
      pid_t child = ::fork();
      if (child == 0) ::_exit(0);
      REQUIRE(child > 0);
      int status = 0;
      ::waitpid(child, &status, 0);
      REQUIRE(store->write_heartbeat(Heartbeat{child, now, now, now, "fp", "ok"})
                  .has_value());
    }
    auto r = run(dir, "status");
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("daemon: not running (last seen "));
  }

  TEST_CASE("history lists runs and missed ranges newest first") {
    ConfigTempDir dir;
    write_config(dir);
    {
      auto store = make_db(dir);
      write_history(*store);
    }
    auto r = run(dir, "history --json");
    REQUIRE(r.exit_code == 0);
    auto list = json::parse(r.out).as_array();
    REQUIRE(list.size() == 3);
    CHECK(list[0].at("state") == "missed");
    CHECK(list[0].at("count") == 5);
    CHECK(list[0].at("reason") == "daemon down");
    CHECK(list[0].at("last").is_string());
    for (const char* key : {"run_id", "job", "trigger", "slot", "state", "request_id",
                            "execution_id", "matched_by", "remote_status", "message", "submitted_at",
                            "finished_at"}) {
      CAPTURE(key);
      CHECK(list[1].as_object().contains(key));
    }
    auto only = run(dir, "history nightly --limit 1 --json");
    auto one = json::parse(only.out).as_array();
    REQUIRE(one.size() == 1);
    CHECK(one[0].at("job") == "nightly");
    CHECK(one[0].at("state") == "complete");
    auto text = run(dir, "history every");
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("every  MISSED 5 slots  (daemon down)") != std::string::npos);
    CHECK(text.out.find("message: Map failed: field CustomerId missing") != std::string::npos);
    CHECK(text.out.find("request executionrecord-77") != std::string::npos);
  }

  TEST_CASE("history and status print hostile server and operator text escaped, --json exact") {
    ConfigTempDir dir;
    write_config(dir);
    const std::string forged = "bad\n2026-12-06T05:00:00Z info run.finished job=x state=complete"
                               "\x1b]0;pwned\x07\x1b[2J";
    {
      auto store = make_db(dir);
      using namespace bsched::test;
      auto row = store->create_run(new_run("nightly", t0()), ms(t0()));
      REQUIRE(row.has_value());
      RunUpdate u;
      u.message = forged;
      u.request_id = "executionrecord-\x1b[31m";
      for (auto s : {RunState::submitting, RunState::submitted, RunState::running}) {
        REQUIRE(store->transition(row->id, s, ms(t0(), 1)).has_value());
      }
      REQUIRE(store->transition(row->id, RunState::error, ms(t0(), 2), u).has_value());
      REQUIRE(store->set_paused("every", true, "note\x1b[31m\nforged line", "ops", real_now())
                  .has_value());
    }
    auto text = run(dir, "history nightly");
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.find('\x1b') == std::string::npos);
    CHECK(text.out.find("\n2026-12-06T05:00:00Z") == std::string::npos);
    CHECK(text.out.find("message: bad\\n2026-12-06T05:00:00Z info run.finished") != std::string::npos);
    auto status = run(dir, "status");
    CHECK(status.out.find('\x1b') == std::string::npos);
    CHECK(status.out.find("note\\x1b[31m\\nforged line") != std::string::npos);
    auto js = run(dir, "history nightly --json");
    REQUIRE(js.exit_code == 0);
    CHECK(json::value_to<std::string>(json::parse(js.out).as_array()[0].at("message")) == forged);
  }

  TEST_CASE("pause and resume are recorded even without a daemon, and status shows them") {
    ConfigTempDir dir;
    write_config(dir);
    make_db(dir);
    auto p = run(dir, "pause nightly --note 'vendor outage'");
    CHECK(p.exit_code == 0);
    CHECK(p.out == "pause nightly: recorded; no daemon is running (the job stays paused when it "
                   "starts)\n");
    auto s = run(dir, "status");
    CHECK(s.out.find("paused: \"vendor outage\" (") != std::string::npos);
    auto r = run(dir, "resume nightly");
    CHECK(r.exit_code == 0);
    auto store = make_db(dir);
    CHECK(!store->job_state("nightly")->paused);
    auto commands = store->take_commands(real_now());
    REQUIRE(commands->size() == 2);
    CHECK((*commands)[0].kind == CommandKind::pause);
    CHECK((*commands)[0].args_json == R"({"note":"vendor outage"})");
    CHECK(!(*commands)[0].requested_by.empty());
    CHECK((*commands)[1].kind == CommandKind::resume);
  }

  TEST_CASE("trigger queues a manual run for the running daemon and refuses unknown jobs") {
    ConfigTempDir dir;
    write_config(dir);
    write_live_heartbeat(*make_db(dir));
    auto t = run(dir, "trigger every --property FROM=2026-01-01 -p TO=now");
    CHECK(t.exit_code == 0);
    CHECK(t.out == fmt::format("trigger every: queued; the running daemon (pid {}) takes it "
                               "within a second\n",
                               ::getpid()));
    auto bad = run(dir, "trigger nope");
    CHECK(bad.exit_code == 1);
    CHECK(bad.err == "trigger: no job named 'nope' in the configuration (jobs: every, nightly)\n");
    auto malformed = run(dir, "trigger every --property NOEQUALS");
    CHECK(malformed.exit_code == 2);
    auto commands = make_db(dir)->take_commands(real_now());
    REQUIRE(commands->size() == 1);
    CHECK((*commands)[0].args_json == R"({"properties":{"FROM":"2026-01-01","TO":"now"}})");
  }

  TEST_CASE("status reads while another connection holds a write transaction") {
    ConfigTempDir dir;
    write_config(dir);
    write_history(*make_db(dir));
    sqlite3* writer = nullptr;
    auto path = (dir.path() / "state.db").string();
    REQUIRE(sqlite3_open(path.c_str(), &writer) == SQLITE_OK);
    REQUIRE(sqlite3_exec(writer, "BEGIN IMMEDIATE; DELETE FROM runs;", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    auto r = run(dir, "history --json");
    CHECK(r.exit_code == 0);
    CHECK(json::parse(r.out).as_array().size() == 3);  // the committed state
    sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(writer);
  }
}
