// LeaderScheduler with two real LeaseKeepers on the private PostgreSQL cluster and recording
// terms in place of the engine: a term runs only on the node that leads, under its epoch; a
// stop ends the term before the lease is resigned; the standby's term starts after; a term
// that fails to start is tried again while the node still leads.
#include "daemon/runtime/leader_scheduler.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <fmt/ranges.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::runtime;
using bsched::test::PgCluster;
using bsched::test::run_until;

namespace {

// What every term did, in order, across both nodes: "a start 1", "a stop 1", …
struct Journal {
  std::vector<std::string> lines;
  int failures_left = 0;  // the next terms' start() fails this many times
  bool has(const std::string& line) const {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
  std::ptrdiff_t index(const std::string& line) const {
    return std::find(lines.begin(), lines.end(), line) - lines.begin();
  }
};

class RecordingTerm final : public Scheduler {
 public:
  RecordingTerm(Journal& j, std::string node, std::int64_t epoch)
      : m_j(j), m_tag(node + " " + std::to_string(epoch)), m_node(std::move(node)) {}
  boost::asio::awaitable<Result<void>> start() override {
    if (m_j.failures_left > 0) {
      --m_j.failures_left;
      m_j.lines.push_back(m_node + " failed");
      co_return make_error("recovery could not read the database");
    }
    m_j.lines.push_back(tag("start"));
    co_return Result<void>{};
  }
  void reload(std::shared_ptr<const config::Config>) override {
    m_j.lines.push_back(tag("reload"));
  }
  void on_clock_step() override {}
  void check_commands() override { m_j.lines.push_back(tag("commands")); }
  boost::asio::awaitable<void> stop() override {
    m_j.lines.push_back(tag("stop"));
    co_return;
  }
  core::EngineStats stats() const override { return {}; }

 private:
  std::string tag(const char* what) const {
    auto space = m_tag.find(' ');
    return m_tag.substr(0, space) + " " + what + m_tag.substr(space);
  }
  Journal& m_j;
  std::string m_tag;
  std::string m_node;
};

struct Node {
  Node(boost::asio::io_context& io, const Clock& clock, const std::string& conninfo,
       const std::string& name, Journal& j) {
    ha::LeaseKeeperSettings s;
    s.conninfo = conninfo;
    s.node = name;
    s.timings.lease = 2s;
    auto k = ha::LeaseKeeper::make(io.get_executor(), clock, s);
    REQUIRE_MESSAGE(k, (k ? "" : k.error().message));
    keeper = std::move(*k);
    auto config = std::make_shared<const config::Config>();
    scheduler = std::make_unique<LeaderScheduler>(
        io, *keeper, config,
        [&j, name](std::int64_t epoch, std::shared_ptr<const config::Config>) {
          return std::make_unique<RecordingTerm>(j, name, epoch);
        },
        100ms);
    boost::asio::co_spawn(io, scheduler->start(), [](std::exception_ptr, Result<void>) {});
  }
  void stop(boost::asio::io_context& io) {
    boost::asio::co_spawn(io, scheduler->stop(), [this](std::exception_ptr) { stopped = true; });
  }
  std::unique_ptr<ha::LeaseKeeper> keeper;
  std::unique_ptr<LeaderScheduler> scheduler;
  bool stopped = false;
};

}  // namespace

TEST_SUITE("runtime::leader_scheduler") {
  TEST_CASE("a term runs only on the leader, a clean stop ends it before the standby's starts") {
    boost::asio::io_context io;
    SystemClock clock;
    Journal j;
    auto info = PgCluster::get().new_database("leader_sched");
    Node a(io, clock, info, "a", j);
    REQUIRE(run_until(io, [&] { return j.has("a start 1"); }, 3s));
    CHECK(a.scheduler->term_epoch() == 1);
    Node b(io, clock, info, "b", j);
    run_until(io, [] { return false; }, 300ms);
    CHECK(b.keeper->role() == ha::Role::standby);
    CHECK(b.scheduler->term_epoch() == 0);
    CHECK_FALSE(j.has("b start 1"));

    // Commands and reloads reach the leader's term only.
    a.scheduler->check_commands();
    b.scheduler->check_commands();
    b.scheduler->reload(std::make_shared<const config::Config>());
    CHECK(j.has("a commands 1"));
    CHECK(j.lines.back() == "a commands 1");

    a.stop(io);
    REQUIRE(run_until(io, [&] { return a.stopped && j.has("b start 2"); }, 2s));
    INFO("journal: " << fmt::format("{}", fmt::join(j.lines, ", ")));
    CHECK(j.index("a stop 1") < j.index("b start 2"));
    CHECK(a.keeper->role() == ha::Role::standby);
    CHECK(b.scheduler->term_epoch() == 2);

    b.stop(io);
    CHECK(run_until(io, [&] { return b.stopped; }, 3s));
    CHECK(j.lines.back() == "b stop 2");
  }

  TEST_CASE("a term that fails to start is tried again while the node leads") {
    boost::asio::io_context io;
    SystemClock clock;
    Journal j;
    j.failures_left = 2;
    auto info = PgCluster::get().new_database("leader_sched_retry");
    Node a(io, clock, info, "a", j);
    REQUIRE(run_until(io, [&] { return j.has("a start 1"); }, 3s));
    INFO("journal: " << fmt::format("{}", fmt::join(j.lines, ", ")));
    CHECK(std::count(j.lines.begin(), j.lines.end(), "a failed") == 2);
    CHECK(a.keeper->role() == ha::Role::leader);
    a.stop(io);
    CHECK(run_until(io, [&] { return a.stopped; }, 3s));
  }
}
