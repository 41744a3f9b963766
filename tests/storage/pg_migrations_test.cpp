// The PostgreSQL schema's migrations against the private cluster.
#include "storage/pg/pg_migrations.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::storage::pg;
using bsched::test::pg_connect;
using bsched::test::PgCluster;
using bsched::test::run_pg;
using bsched::test::run_until;

namespace {

std::string column_text(boost::asio::io_context& io, PgConnection& c, const char* sql) {
  auto r = run_pg(io, c.query(sql, {}, 2s));
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
  return r->at(0, 0).value_or("(null)");
}

}  // namespace

TEST_SUITE("storage::pg_migrations") {
  TEST_CASE("an empty database gets every table, a second run does nothing") {
    boost::asio::io_context io;
    auto c = pg_connect(io, PgCluster::get().new_database("mig_once"));
    auto first = run_pg(io, run_migrations(*c, 2s));
    REQUIRE_MESSAGE(first, (first ? "" : first.error().message));
    CHECK(*first == 0);
    auto second = run_pg(io, run_migrations(*c, 2s));
    REQUIRE(second);
    CHECK(*second == k_pg_schema_version);
    CHECK(column_text(io, *c, "SELECT count(*) FROM schema_version") ==
          std::to_string(k_pg_schema_version));
    CHECK(column_text(io, *c,
                      "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
                      "information_schema.tables WHERE table_schema = 'public'") ==
          "alert_deliveries,alert_events,commands,daemon_notes,heartbeat,job_state,"
          "leader_lease,nodes,runs,schema_version,slot_gaps");
    CHECK(column_text(io, *c,
                      "SELECT is_nullable FROM information_schema.columns WHERE table_name = "
                      "'leader_lease' AND column_name = 'expires_at'") == "NO");
  }

  TEST_CASE("two nodes migrating at once apply each migration once and both succeed") {
    boost::asio::io_context io;
    auto info = PgCluster::get().new_database("mig_race");
    auto a = pg_connect(io, info);
    auto b = pg_connect(io, info);
    std::optional<Result<int>> ra, rb;
    boost::asio::co_spawn(io, run_migrations(*a, 5s),
                          [&](std::exception_ptr, Result<int> r) { ra.emplace(std::move(r)); });
    boost::asio::co_spawn(io, run_migrations(*b, 5s),
                          [&](std::exception_ptr, Result<int> r) { rb.emplace(std::move(r)); });
    REQUIRE(run_until(
        io, [&] { return ra && rb; }, 10s));
    REQUIRE_MESSAGE(*ra, (*ra ? "" : ra->error().message));
    REQUIRE_MESSAGE(*rb, (*rb ? "" : rb->error().message));
    // One found an empty database, the other waited on the lock and found it migrated.
    CHECK(**ra + **rb == k_pg_schema_version);
    CHECK(column_text(io, *a, "SELECT count(*) FROM schema_version") ==
          std::to_string(k_pg_schema_version));
  }

  TEST_CASE("a database whose schema is newer than the program is refused") {
    boost::asio::io_context io;
    auto c = pg_connect(io, PgCluster::get().new_database("mig_newer"));
    REQUIRE(run_pg(io, run_migrations(*c, 2s)));
    REQUIRE(run_pg(io, c->query("INSERT INTO schema_version (version) VALUES (99)", {}, 2s)));
    auto r = run_pg(io, run_migrations(*c, 2s));
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("version 99, newer") != std::string::npos);
    CHECK(c->connected());  // rolled back, not dropped
    CHECK(column_text(io, *c, "SELECT count(*) FROM schema_version") ==
          std::to_string(k_pg_schema_version + 1));  // and 99
  }

  TEST_CASE("a database at version 1 gets the run store's tables and keeps its lease") {
    boost::asio::io_context io;
    auto c = pg_connect(io, PgCluster::get().new_database("mig_v1"));
    REQUIRE(run_pg(io, run_migrations(*c, 2s)));
    // Back to version 1: what a node of the previous release left.
    for (const char* sql :
         {"DROP TABLE runs, slot_gaps, job_state, commands, heartbeat, daemon_notes, "
          "alert_deliveries, alert_events",
          "DELETE FROM schema_version WHERE version >= 2",
          "INSERT INTO leader_lease (name, holder, epoch, expires_at) "
          "VALUES ('boomi-sched', 'a', 7, now())"}) {
      auto done = run_pg(io, c->query(sql, {}, 2s));
      REQUIRE_MESSAGE(done, (done ? "" : done.error().message));
    }
    auto r = run_pg(io, run_migrations(*c, 2s));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    CHECK(*r == 1);
    CHECK(column_text(io, *c, "SELECT epoch FROM leader_lease") == "7");
    CHECK(column_text(io, *c, "SELECT max(version) FROM schema_version") ==
          std::to_string(k_pg_schema_version));
    // The one-run-per-slot index: unique, on (job, slot), schedule and catch-up runs only.
    CHECK(column_text(io, *c,
                      "SELECT indexdef FROM pg_indexes WHERE indexname = 'runs_slot_once'") ==
          "CREATE UNIQUE INDEX runs_slot_once ON public.runs USING btree (job, slot) WHERE "
          "(trigger = ANY (ARRAY['schedule'::text, 'catchup'::text]))");
    auto manual = run_pg(io, c->query("INSERT INTO runs (run_id, job, trigger, slot, state, "
                                      "created_at) VALUES ('m1', 'j', 'manual', 1, 'scheduled', "
                                      "0), ('m2', 'j', 'manual', 1, 'scheduled', 0)",
                                      {}, 2s));
    CHECK(manual);
    auto twice = run_pg(io, c->query("INSERT INTO runs (run_id, job, trigger, slot, state, "
                                     "created_at) VALUES ('s1', 'j', 'schedule', 1, "
                                     "'scheduled', 0), ('s2', 'j', 'catchup', 1, 'scheduled', 0)",
                                     {}, 2s));
    REQUIRE_FALSE(twice);
    CHECK(twice.error().message.find("23505") != std::string::npos);
    auto odd = run_pg(io, c->query("INSERT INTO runs (run_id, job, trigger, slot, state, "
                                   "created_at) VALUES ('x1', 'j', 'cron', 2, 'scheduled', 0)",
                                   {}, 2s));
    CHECK_FALSE(odd);
  }
}
