// `boomi-sched exec` (the real binary) against the simulator running on a thread of this
// process. Each case finishes in about a second. The run exec sends is recorded in the state
// database (storage.path) and read back through `history` and `status`.
#include "daemon/sim/simulator.h"
#include "storage/sqlite_schema.h"
#include "tests/support/config_test_util.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include <filesystem>
#include <thread>

using namespace bsched;
using namespace std::chrono_literals;

namespace {

// The simulator on its own io_context thread; requests() only after stop().
class SimThread {
 public:
  explicit SimThread(sim::SimOptions o) : m_sim(m_io, m_clock, std::move(o)) {
    m_ok = m_sim.start().has_value();
    m_work.emplace(m_io.get_executor());
    m_thread = std::thread([this] { m_io.run(); });
  }
  ~SimThread() { stop(); }
  void stop() {
    if (!m_thread.joinable()) return;
    boost::asio::post(m_io, [this] {
      m_sim.stop();
      m_work.reset();
      m_io.stop();
    });
    m_thread.join();
  }
  bool ok() const { return m_ok; }
  std::string base_url() const { return m_sim.base_url(); }
  std::vector<sim::ReceivedRequest> requests() const { return m_sim.requests(); }

 private:
  SystemClock m_clock;  // exec runs on real time, so does its platform
  boost::asio::io_context m_io;
  sim::Simulator m_sim;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work;
  std::thread m_thread;
  bool m_ok = false;
};

sim::SimOptions fast_sim() {
  sim::SimOptions o;
  o.pickup_delay = 100ms;
  o.run_duration = 150ms;
  return o;
}

std::string write_config(const bsched::test::ConfigTempDir& dir, const std::string& base_url,
                         const std::string& token, const std::string& db = "state.db") {
  dir.write("token", token + "\n");
  ::chmod((dir.path() / "token").c_str(), 0600);
  return dir.write("boomi-sched.yaml", fmt::format(R"(platform:
  account_id: sim-account
  base_url: {}
  username: BOOMI_TOKEN.sim@example.com
  token_file: token
  requests_per_second: 0
  timeout: 2s
storage:
  path: {}
jobs:
  orders:
    schedule: "0 3 * * *"
    process_id: proc-1
    atom_id: atom-1
    timezone: UTC
    poll: {{initial: 50ms, max: 100ms}}
    submit_retry: {{attempts: 2, initial: 50ms, max: 100ms}}
    dynamic_properties:
      JOB: "${{job}}"
)",
                                                   base_url, db));
}

bsched::test::CommandOutput command(const bsched::test::ConfigTempDir& dir, const char* name,
                                    const std::string& config, const std::string& args) {
  return bsched::test::run_command(
      fmt::format("'{}' {} {} --config '{}'", BSCHED_BINARY, name, args, config), dir);
}

bsched::test::CommandOutput exec(const bsched::test::ConfigTempDir& dir, const std::string& config,
                                 const std::string& args) {
  return command(dir, "exec", config, args);
}

// The one run `history JOB --json` lists (null when there is not exactly one).
boost::json::object only_run(const bsched::test::ConfigTempDir& dir, const std::string& config) {
  auto r = command(dir, "history", config, "orders --json");
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  auto runs = boost::json::parse(r.out).as_array();
  REQUIRE(runs.size() == 1);
  return runs[0].as_object();
}

std::string text(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

TEST_SUITE("cli::exec") {
  TEST_CASE("exec submits once and prints the requestId") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    auto r = exec(dir, cfg, "orders");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("requestId: executionrecord-") != std::string::npos);
    sim.stop();
    auto received = sim.requests();
    REQUIRE(received.size() == 1);
    CHECK(received[0].target == "/api/rest/v1/sim-account/ExecutionRequest");
    CHECK(received[0].body.find(R"("JOB")") != std::string::npos);
    CHECK(r.out.find("runId: " + received[0].run_id) != std::string::npos);
  }

  TEST_CASE("exec --wait prints the outcome and exits 0 for COMPLETE") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, sim.base_url(), "sim-token"), "orders --wait");
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("status: COMPLETE\n") != std::string::npos);
    CHECK(r.out.find("executionId: execution-") != std::string::npos);
    CHECK(r.out.find("duration: ") != std::string::npos);
    CHECK(r.out.find("documents: inbound") != std::string::npos);
  }

  TEST_CASE("exec --wait exits 1 for ERROR and prints the platform message") {
    auto o = fast_sim();
    o.outcomes = sim::OutcomeMix{0, 0, 1, 0, 0};
    SimThread sim(o);
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, sim.base_url(), "sim-token"), "orders --wait");
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("status: ERROR\n") != std::string::npos);
    CHECK(r.out.find("message: ") != std::string::npos);
  }

  // exec answered a 401 by sending the trigger again at once; the platform locks accounts
  // after repeated authentication failures (platform-api.md: never retry quickly on 401).
  TEST_CASE("exec with a wrong token fails clearly after one request, never prints the token") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, sim.base_url(), "wrong-token-123"), "orders --wait");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("authentication failed") != std::string::npos);
    CHECK(r.err.find("wrong-token-123") == std::string::npos);
    CHECK(r.out.find("wrong-token-123") == std::string::npos);
    sim.stop();
    CHECK(sim.requests().size() == 1);
  }

  TEST_CASE("exec of an unknown job names the jobs there are") {
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, "http://127.0.0.1:9/api/rest/v1", "t"), "nope");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("no job named 'nope'") != std::string::npos);
    CHECK(r.err.find("orders") != std::string::npos);
  }

  TEST_CASE("exec against a closed port reports the platform unavailable") {
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, "http://127.0.0.1:9/api/rest/v1", "t"), "orders");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("unavailable") != std::string::npos);
  }

  TEST_CASE("exec --wait finds the run by query once the async result expired") {
    auto o = fast_sim();
    o.faults.async_expiry = 1ms;
    o.run_duration = 0ms;
    o.pickup_delay = 0ms;
    SimThread sim(o);
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, sim.base_url(), "sim-token"), "orders --wait");
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("expired") != std::string::npos);
    CHECK(r.out.find("status: COMPLETE\n") != std::string::npos);
    sim.stop();
    int queries = 0;
    for (const auto& q : sim.requests()) queries += q.target.find("/ExecutionRecord/query") != std::string::npos;
    CHECK(queries >= 1);
  }

  TEST_CASE("exec never resends a trigger whose outcome is uncertain") {
    auto o = fast_sim();
    o.faults.rate_reset_after_read = 1.0;
    o.faults.only_submits = true;
    SimThread sim(o);
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto r = exec(dir, write_config(dir, sim.base_url(), "sim-token"), "orders");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("may have been accepted") != std::string::npos);
    sim.stop();
    CHECK(sim.requests().size() == 1);
  }

  TEST_CASE("exec --wait records its run: history shows trigger exec, the end state and the executionId") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    auto r = exec(dir, cfg, "orders --wait");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("warning") == std::string::npos);
    auto pos = r.out.find("executionId: ");
    REQUIRE(pos != std::string::npos);
    auto execution_id = r.out.substr(pos + 13, r.out.find('\n', pos) - pos - 13);
    auto run = only_run(dir, cfg);
    CHECK(text(run, "trigger") == "exec");
    CHECK(text(run, "state") == "complete");
    CHECK(text(run, "execution_id") == execution_id);
    CHECK(text(run, "matched_by") == "request");
    CHECK(r.out.find("runId: " + text(run, "run_id")) != std::string::npos);
    CHECK(r.out.find("requestId: " + text(run, "request_id")) != std::string::npos);
    CHECK(run.at("attempts").as_int64() == 1);
    CHECK(run.at("finished_at").is_string());
    auto history = command(dir, "history", cfg, "orders");
    CHECK(history.out.find("COMPLETE  (exec, run " + text(run, "run_id") + ")") != std::string::npos);
    CHECK(history.out.find("execution " + execution_id) != std::string::npos);
  }

  TEST_CASE("status counts an exec run as the job's last run") {
    auto o = fast_sim();
    o.outcomes = sim::OutcomeMix{0, 0, 1, 0, 0};
    SimThread sim(o);
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    REQUIRE(exec(dir, cfg, "orders --wait").exit_code == 1);
    auto json = command(dir, "status", cfg, "--json");
    REQUIRE_MESSAGE(json.exit_code == 0, json.err);
    bool seen = false;
    auto doc = boost::json::parse(json.out).as_object();
    for (const auto& j : doc.at("jobs").as_array()) {
      const auto& job = j.as_object();
      if (text(job, "job") != "orders") continue;
      const auto& last = job.at("last_run");
      REQUIRE(last.is_object());
      CHECK(text(last.as_object(), "trigger") == "exec");
      CHECK(text(last.as_object(), "state") == "error");
      CHECK(job.at("last_run_late_ms").is_null());  // no slot, no lateness
      seen = true;
    }
    CHECK(seen);
    auto table = command(dir, "status", cfg, "--wide");
    CHECK(table.out.find("(exec)") != std::string::npos);
    CHECK(table.out.find("execution-") != std::string::npos);
  }

  TEST_CASE("exec without --wait leaves its run in flight with the requestId, for the daemon") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    REQUIRE(exec(dir, cfg, "orders").exit_code == 0);
    auto run = only_run(dir, cfg);
    CHECK(text(run, "trigger") == "exec");
    CHECK(text(run, "state") == "submitted");
    CHECK(text(run, "request_id").rfind("executionrecord-", 0) == 0);
    CHECK(run.at("finished_at").is_null());
  }

  TEST_CASE("exec refused with a 401 records the run as submit_failed, nothing accepted") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "wrong-token-123");
    REQUIRE(exec(dir, cfg, "orders --wait").exit_code == 1);
    auto run = only_run(dir, cfg);
    CHECK(text(run, "state") == "submit_failed");
    CHECK(text(run, "last_error").find("auth failed") != std::string::npos);
    CHECK_FALSE(run.at("maybe_accepted").as_bool());
  }

  TEST_CASE("exec with a state database it cannot write still runs and warns in one line") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    // A missing directory, and a file that is not a state database: each refused, neither
    // stops the run.
    dir.write("foreign.db", "these are not the runs you are looking for\n");
    for (const char* db : {"no-such-dir/state.db", "foreign.db"}) {
      auto cfg = write_config(dir, sim.base_url(), "sim-token", db);
      auto r = exec(dir, cfg, "orders --wait");
      CHECK(r.exit_code == 0);
      CHECK(r.out.find("status: COMPLETE\n") != std::string::npos);
      auto first = r.err.find("warning: this run is not recorded in the state database");
      CHECK_MESSAGE(first != std::string::npos, r.err);
      CHECK(r.err.find("warning", first + 1) == std::string::npos);  // once
    }
    CHECK_FALSE(std::filesystem::exists(dir.path() / "no-such-dir"));
  }

  TEST_CASE("exec while a migration holds the state database still runs and warns") {
    SimThread sim(fast_sim());
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    // A version-6 database in the middle of its migration: the daemon holds the write lock
    // while exec's open would migrate it too (refused after the 5 s busy timeout).
    std::string v6;
    for (int v = 0; v < 6; ++v) v6 += storage::sqlite::migrations()[static_cast<size_t>(v)];
    v6 += fmt::format("PRAGMA application_id = {}; PRAGMA user_version = 6;",
                      storage::sqlite::k_application_id);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() / "state.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, v6.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto r = exec(dir, cfg, "orders");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("requestId: executionrecord-") != std::string::npos);
    auto first = r.err.find("warning: this run is not recorded in the state database");
    CHECK_MESSAGE(first != std::string::npos, r.err);
    CHECK(r.err.find("warning", first + 1) == std::string::npos);
  }

  // Found by query, a record is matched by time: an earlier exec's record (finished, in the
  // store) lies inside the window of the next one and must not be taken for it.
  TEST_CASE("two execs whose async results expired each find their own record") {
    auto o = fast_sim();
    o.faults.async_expiry = 1ms;
    o.run_duration = 0ms;
    o.pickup_delay = 0ms;
    SimThread sim(o);
    REQUIRE(sim.ok());
    bsched::test::ConfigTempDir dir;
    auto cfg = write_config(dir, sim.base_url(), "sim-token");
    auto first = exec(dir, cfg, "orders --wait");
    auto second = exec(dir, cfg, "orders --wait");
    REQUIRE(first.exit_code == 0);
    REQUIRE(second.exit_code == 0);
    auto id_of = [](const std::string& out) {
      auto pos = out.find("executionId: ");
      return pos == std::string::npos ? std::string() : out.substr(pos, out.find('\n', pos) - pos);
    };
    CHECK_FALSE(id_of(first.out).empty());
    CHECK(id_of(first.out) != id_of(second.out));
    auto runs = boost::json::parse(command(dir, "history", cfg, "orders --json").out).as_array();
    REQUIRE(runs.size() == 2);
    CHECK(text(runs[0].as_object(), "execution_id") != text(runs[1].as_object(), "execution_id"));
    CHECK(text(runs[0].as_object(), "matched_by") == "query");
  }
}
