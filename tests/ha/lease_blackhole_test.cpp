// A leader whose database connection goes silent (a proxy that stops forwarding): it stops
// sending before its lease can run out, and the standby takes over after the lease, epoch + 1.
#include "daemon/ha/lease_keeper.h"
#include "tests/support/pg_proxy.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>

#include <filesystem>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::ha;
using bsched::test::PgCluster;
using bsched::test::run_until;
using Steady = std::chrono::steady_clock;

namespace {

std::unique_ptr<LeaseKeeper> keeper(boost::asio::io_context& io, const Clock& clock,
                                    std::string conninfo, const char* node) {
  LeaseKeeperSettings s;
  s.conninfo = std::move(conninfo);
  s.node = node;
  s.timings.lease = 2s;
  s.connect_deadline = 1s;  // the silent proxy holds a reconnect that long
  auto k = LeaseKeeper::make(io.get_executor(), clock, s);
  REQUIRE_MESSAGE(k, (k ? "" : k.error().message));
  return std::move(*k);
}

}  // namespace

TEST_SUITE("ha::lease_keeper") {
  TEST_CASE(
      "a leader whose database goes silent stops sending before its lease can expire, "
      "and the standby takes over after it") {
    boost::asio::io_context io;
    SystemClock clock;
    auto& cluster = PgCluster::get();
    auto direct = cluster.new_database("keeper_blackhole");
    auto dir = cluster.socket_dir() + "/proxy";
    std::filesystem::create_directories(dir);
    test::PgProxy proxy(io, dir, cluster.socket_dir() + "/.s.PGSQL.5432");
    auto a = keeper(io, clock, "host=" + dir + " dbname=keeper_blackhole user=postgres", "a");
    auto b = keeper(io, clock, direct, "b");
    int running = 2;
    auto done = [&](std::exception_ptr) { --running; };
    boost::asio::co_spawn(io, a->run(), done);
    REQUIRE(run_until(
        io, [&] { return a->role() == Role::leader; }, 3s));
    boost::asio::co_spawn(io, b->run(), done);
    run_until(
        io, [] { return false; }, 300ms);
    REQUIRE(b->role() == Role::standby);

    proxy.blackhole = true;
    auto silent = Steady::now();
    std::optional<Steady::time_point> stopped_sending, taken_over;
    run_until(
        io,
        [&] {
          if (!stopped_sending && !a->may_send()) stopped_sending = Steady::now();
          if (!taken_over && b->role() == Role::leader) taken_over = Steady::now();
          return taken_over.has_value();
        },
        5s);
    REQUIRE(stopped_sending);
    REQUIRE(taken_over);
    auto ms = [&](Steady::time_point t) {
      return std::chrono::duration_cast<Millis>(t - silent).count();
    };
    MESSAGE("after the black hole: old leader stops sending at "
            << ms(*stopped_sending) << " ms, standby leads at " << ms(*taken_over)
            << " ms (lease 2000 ms, margin 666 ms)");
    CHECK(*stopped_sending < *taken_over);
    CHECK(*stopped_sending - silent <= 1333ms + 50ms);  // lease − margin after the last renewal
    CHECK(*taken_over - *stopped_sending >= 600ms);     // at least about the margin between them
    CHECK(b->epoch() == 2);
    CHECK(run_until(
        io, [&] { return a->role() == Role::standby; }, 2s));

    a->stop(StopMode::abandon);
    b->stop(StopMode::abandon);
    proxy.blackhole = false;
    CHECK(run_until(
        io, [&] { return running == 0; }, 3s));
  }
}
