// Two LeaseKeepers against the private PostgreSQL cluster, on the real clock with a short
// lease and bounded waits: one holder, renewals under one epoch, takeover after expiry and
// after a clean resignation, an unreachable database.
#include "daemon/ha/lease_keeper.h"
#include "storage/pg/pg_lease.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::ha;
using bsched::test::pg_connect;
using bsched::test::PgCluster;
using bsched::test::run_pg;
using bsched::test::run_until;
using Steady = std::chrono::steady_clock;

namespace {

// Two keepers "a" and "b" on one database, each run() spawned on one io_context.
struct Pair {
  explicit Pair(const char* db, Millis lease = 2s) : info(PgCluster::get().new_database(db)) {
    for (const char* name : {"a", "b"}) {
      LeaseKeeperSettings s;
      s.conninfo = info;
      s.node = name;
      s.timings.lease = lease;
      auto k = LeaseKeeper::make(io.get_executor(), clock, s);
      REQUIRE_MESSAGE(k, (k ? "" : k.error().message));
      keepers.push_back(std::move(*k));
    }
    for (auto& k : keepers) spawn(*k);
  }
  ~Pair() {
    for (auto& k : keepers) k->stop(StopMode::abandon);
    run_until(
        io, [&] { return running == 0; }, 5s);
  }
  void spawn(LeaseKeeper& k) {
    ++running;
    boost::asio::co_spawn(io, k.run(), [this](std::exception_ptr e) {
      --running;
      if (e) failed = true;
    });
  }
  int leaders() const {
    int n = 0;
    for (auto& k : keepers) n += k->role() == Role::leader;
    return n;
  }
  LeaseKeeper& leader() { return keepers[0]->role() == Role::leader ? *keepers[0] : *keepers[1]; }
  LeaseKeeper& standby() { return keepers[0]->role() == Role::leader ? *keepers[1] : *keepers[0]; }
  // The lease row's epoch as the database has it.
  std::string row(const std::string& sql) {
    auto c = pg_connect(io, info);
    auto r = run_pg(io, c->query(sql, {}, 2s));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return r->at(0, 0).value_or("(null)");
  }

  std::string info;
  boost::asio::io_context io;
  SystemClock clock;
  std::vector<std::unique_ptr<LeaseKeeper>> keepers;
  int running = 0;
  bool failed = false;
};

}  // namespace

TEST_SUITE("ha::lease_keeper") {
  TEST_CASE("of two keepers exactly one leads, and its renewals keep the epoch") {
    Pair p("keeper_one");
    REQUIRE(run_until(
        p.io, [&] { return p.leaders() == 1; }, 3s));
    auto& leader = p.leader();
    CHECK(leader.epoch() == 1);
    CHECK(leader.may_send());
    CHECK_FALSE(p.standby().may_send());
    // Two seconds is three renewals of a 2 s lease (every 667 ms): still one leader, epoch 1.
    bool one_all_along = true;
    run_until(
        p.io,
        [&] {
          one_all_along &= p.leaders() == 1;
          return false;
        },
        2s);
    CHECK(one_all_along);
    CHECK(leader.role() == Role::leader);
    CHECK(leader.epoch() == 1);
    CHECK(p.row("SELECT epoch FROM leader_lease") == "1");
    CHECK(p.row("SELECT renewed_at > acquired_at FROM leader_lease") == "t");
    CHECK(p.row("SELECT string_agg(name || ':' || role || ':' || epoch, ',' ORDER BY name) "
                "FROM nodes") ==
          (leader.node() == "a" ? "a:leader:1,b:standby:1" : "a:standby:1,b:leader:1"));
    CHECK_FALSE(p.failed);
  }

  TEST_CASE("when the holder stops renewing the other takes over after the lease, epoch + 1") {
    Pair p("keeper_expiry");
    REQUIRE(run_until(
        p.io, [&] { return p.leaders() == 1; }, 3s));
    auto& old_leader = p.leader();
    auto& standby = p.standby();
    old_leader.stop(StopMode::abandon);  // no resignation: what a crash looks like
    CHECK_FALSE(old_leader.may_send());
    auto stopped = Steady::now();
    REQUIRE(run_until(
        p.io, [&] { return standby.role() == Role::leader; }, 4s));
    auto took = std::chrono::duration_cast<Millis>(Steady::now() - stopped);
    MESSAGE("takeover after expiry: " << took.count() << " ms (lease 2000 ms)");
    CHECK(took <= 2s + 300ms);
    CHECK(standby.epoch() == 2);
    CHECK(p.row("SELECT holder || ':' || epoch FROM leader_lease") == standby.node() + ":2");
  }

  TEST_CASE("a clean resignation lets the standby take over within a second through NOTIFY") {
    Pair p("keeper_resign",
           10s);  // a long lease: only the notification can explain a fast takeover
    REQUIRE(run_until(
        p.io, [&] { return p.leaders() == 1; }, 3s));
    auto& old_leader = p.leader();
    auto& standby = p.standby();
    old_leader.stop(StopMode::resign);
    CHECK_FALSE(old_leader.may_send());  // no send from the moment it resigns
    auto stopped = Steady::now();
    REQUIRE(run_until(
        p.io, [&] { return standby.role() == Role::leader; }, 3s));
    auto took = std::chrono::duration_cast<std::chrono::microseconds>(Steady::now() - stopped);
    MESSAGE("takeover after resignation: " << took.count() / 1000.0 << " ms");
    CHECK(took < 1s);
    // The notification is sent at the resignation's commit, so the standby may lead before the
    // old leader has read its own answer: its role follows within the same bound.
    CHECK(run_until(
        p.io, [&] { return old_leader.role() == Role::standby; }, 3s));
    CHECK(standby.epoch() == 2);
    REQUIRE(run_until(
        p.io, [&] { return p.running == 1; }, 3s));
    CHECK(p.row("SELECT role FROM nodes WHERE name = '" + old_leader.node() + "'") == "stopped");
  }

  TEST_CASE("a keeper whose database is unreachable stays a standby and stops promptly") {
    boost::asio::io_context io;
    SystemClock clock;
    LeaseKeeperSettings s;
    s.conninfo = "host=/nonexistent/bsched dbname=x user=y password=hunter2";
    s.node = "lonely";
    s.timings.lease = 2s;
    auto k = LeaseKeeper::make(io.get_executor(), clock, s);
    REQUIRE(k);
    bool done = false;
    boost::asio::co_spawn(io, (*k)->run(), [&](std::exception_ptr) { done = true; });
    run_until(
        io, [] { return false; }, 300ms);
    CHECK((*k)->role() == Role::standby);
    CHECK_FALSE((*k)->may_send());
    (*k)->stop();
    CHECK(run_until(
        io, [&] { return done; }, 1s));
  }

  TEST_CASE("settings that cannot work are refused before anything runs") {
    boost::asio::io_context io;
    SystemClock clock;
    LeaseKeeperSettings s;
    s.conninfo = "host=/tmp dbname=x";
    CHECK_FALSE(LeaseKeeper::make(io.get_executor(), clock, s));  // no node name
    s.node = "a";
    s.timings.lease = 100ms;
    CHECK_FALSE(LeaseKeeper::make(io.get_executor(), clock, s));
    s.timings.lease = 2s;
    s.conninfo = "host=/tmp password=s3cret dbname";
    auto bad = LeaseKeeper::make(io.get_executor(), clock, s);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("s3cret") == std::string::npos);
  }
}
