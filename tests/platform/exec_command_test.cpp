// `boomi-sched exec` (the real binary) against the simulator running on a thread of this
// process. Each case finishes in about a second.
#include "daemon/sim/simulator.h"
#include "tests/support/config_test_util.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fmt/core.h>

#include <thread>

using namespace bsched;
using namespace std::chrono_literals;

namespace {

// The simulator on its own io_context thread; requests() only after stop().
class SimThread {
 public:
  explicit SimThread(sim::SimOptions o) : m_sim(m_io, std::move(o)) {
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
                         const std::string& token) {
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
  path: state.db
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
                                                   base_url));
}

bsched::test::CommandOutput exec(const bsched::test::ConfigTempDir& dir, const std::string& config,
                                 const std::string& args) {
  return bsched::test::run_command(
      fmt::format("'{}' exec {} --config '{}'", BSCHED_BINARY, args, config), dir);
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
}
