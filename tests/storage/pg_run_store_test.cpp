// PgRunStore where PostgreSQL differs from SQLite: a database that stops answering, a server
// restarted between two calls, two stores (two nodes) writing the same slots.
#include "storage/pg/pg_run_store.h"
#include "storage/pg/pg_worker.h"
#include "tests/storage/pg_store_test_util.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <future>
#include <thread>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::storage;
using namespace bsched::test;
using Steady = std::chrono::steady_clock;

TEST_SUITE("storage::pg_run_store") {
  TEST_CASE("a call the database does not answer fails within the deadline, and the next call "
            "works once it answers") {
    auto info = pg_test_database("silent");
    // trust authentication ignores the password; it must still never show.
    auto store = pg_store(info + " password=hunter2", {.statement_deadline = 500ms});
    auto run = store->create_run(new_run("a", t0()), ms(t0()));
    REQUIRE(run.has_value());

    TableLock lock(info, "runs");
    auto start = Steady::now();
    auto blocked = store->find_run(run->id);
    auto took = Steady::now() - start;
    REQUIRE_FALSE(blocked.has_value());
    CHECK(blocked.error().kind == StoreErrorKind::io);
    CHECK(blocked.error().message.find("no answer within 500ms") != std::string::npos);
    CHECK(blocked.error().message.find("dbname=silent_") != std::string::npos);
    CHECK(blocked.error().message.find("hunter2") == std::string::npos);
    CHECK(took >= 450ms);
    CHECK(took < 1200ms);
    lock.release();

    auto again = store->find_run(run->id);
    REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().message));
    CHECK(again->has_value());
  }

  TEST_CASE("a transaction whose call gets no answer is rolled back whole") {
    auto info = pg_test_database("silent_tx");
    auto store = pg_store(info, {.statement_deadline = 500ms});
    REQUIRE(store->write_heartbeat(Heartbeat{1, ms(t0()), ms(t0()), ms(t0()), "fp", "ok"})
                .has_value());
    TableLock lock(info, "heartbeat");
    std::optional<StoreError> inner;
    auto tx = store->in_transaction([&]() -> StoreResult<void> {
      BSCHED_TRY(store->create_run(new_run("b", t0()), ms(t0())));
      auto hb = store->read_heartbeat();
      if (!hb) inner = hb.error();
      // A caller that ignores the failure: the commit must still refuse.
      return {};
    });
    REQUIRE(inner.has_value());
    CHECK(inner->message.find("no answer within") != std::string::npos);
    REQUIRE_FALSE(tx.has_value());
    CHECK(tx.error().kind == StoreErrorKind::io);
    lock.release();
    auto runs = store->recent_runs("b", 10);
    REQUIRE_MESSAGE(runs.has_value(), (runs ? "" : runs.error().message));
    CHECK(runs->empty());
    CHECK(store->create_run(new_run("b", t0()), ms(t0())).has_value());
  }

  TEST_CASE("after a server restart between two calls the store reconnects") {
    auto store = pg_store(pg_test_database("restart"), {.statement_deadline = 3s});
    auto run = store->create_run(new_run("a", t0()), ms(t0()));
    REQUIRE(run.has_value());
    PgCluster::get().restart();
    // The first call may find the old connection dead (an io error); the next one reconnects.
    auto found = store->find_run(run->id);
    if (!found) {
      CHECK(found.error().kind == StoreErrorKind::io);
      MESSAGE("first call after the restart: " << found.error().message);
      found = store->find_run(run->id);
    }
    REQUIRE_MESSAGE(found.has_value(), (found ? "" : found.error().message));
    CHECK(found->has_value());
    CHECK(store->create_run(new_run("a", t0() + 60s), ms(t0())).has_value());
  }

  TEST_CASE("two stores on one database never both create a run for the same slot") {
    auto info = pg_test_database("two_nodes");
    auto a = pg_store(info);
    auto b = pg_store(info);
    constexpr int k_slots = 100;
    std::atomic<int> created{0}, duplicates{0}, other{0};
    auto node = [&](pg::PgRunStore& store, const char* name) {
      for (int i = 0; i < k_slots; ++i) {
        NewRun n{fmt::format("{}-{}", name, i), "job", Trigger::schedule,
                 t0() + std::chrono::seconds(i), "{}"};
        auto r = store.create_run(n, ms(t0()));
        if (r) ++created;
        else if (r.error().kind == StoreErrorKind::duplicate_slot) ++duplicates;
        else ++other;
      }
    };
    std::thread ta(node, std::ref(*a), "a");
    std::thread tb(node, std::ref(*b), "b");
    ta.join();
    tb.join();
    CHECK(created == k_slots);
    CHECK(duplicates == k_slots);
    CHECK(other == 0);
    CHECK(a->row_count("runs").value() == k_slots);
    CHECK(a->job_state("job")->horizon == t0() + std::chrono::seconds(k_slots - 1));
  }

  TEST_CASE("a call from another thread waits for an open transaction and never joins it") {
    // The engine commits its trackers' writes on a thread of their own while the event loop
    // calls the same store: a call of the loop's must not land inside that transaction.
    auto store = pg_store();
    std::promise<void> started;
    std::optional<StoreResult<RunRow>> other_run;
    std::thread other;
    auto r = store->in_transaction([&]() -> StoreResult<void> {
      auto a = store->create_run(new_run("a", t0()), ms(t0()));
      if (!a) return a.error();
      other = std::thread([&] {
        started.set_value();
        other_run = store->create_run(new_run("b", t0()), ms(t0()));
      });
      started.get_future().wait();
      // Round trips while the other thread's call is queued: without the store's lock it
      // would run inside this transaction and be rolled back with it.
      for (int i = 0; i < 5; ++i) (void)store->find_run(a->id);
      return StoreError{StoreErrorKind::io, "rolled back on purpose"};
    });
    other.join();
    CHECK_FALSE(r.has_value());
    REQUIRE(other_run.has_value());
    REQUIRE_MESSAGE(other_run->has_value(), (*other_run ? "" : other_run->error().message));
    CHECK(store->recent_runs("b", 10)->size() == 1);
    CHECK(store->recent_runs("a", 10)->empty());
  }

  TEST_CASE("two transactions locking the same runs in opposite orders: one is busy, the "
            "other commits") {
    auto info = pg_test_database("deadlock");
    auto a = pg_store(info);
    auto b = pg_store(info);
    auto r1 = a->create_run(new_run("a", t0()), ms(t0()));
    auto r2 = a->create_run(new_run("a", t0() + 60s), ms(t0()));
    REQUIRE(r1.has_value());
    REQUIRE(r2.has_value());
    std::barrier both_hold_one(2);
    auto node = [&](pg::PgRunStore& store, std::int64_t first, std::int64_t second,
                    const char* note, std::optional<StoreResult<void>>& second_call) {
      return store.in_transaction([&]() -> StoreResult<void> {
        BSCHED_TRY(store.update(first, RunUpdate{.last_error = std::string(note)}));
        both_hold_one.arrive_and_wait();
        second_call = store.update(second, RunUpdate{.last_error = std::string(note)});
        return *second_call;
      });
    };
    std::optional<StoreResult<void>> second_a, second_b;
    std::optional<StoreResult<void>> tx_a, tx_b;
    std::thread ta([&] { tx_a = node(*a, r1->id, r2->id, "a", second_a); });
    std::thread tb([&] { tx_b = node(*b, r2->id, r1->id, "b", second_b); });
    ta.join();
    tb.join();
    REQUIRE(second_a.has_value());
    REQUIRE(second_b.has_value());
    // PostgreSQL's deadlock detector ends one of them (40P01).
    CHECK(second_a->has_value() != second_b->has_value());
    const auto& refused = second_a->has_value() ? *second_b : *second_a;
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == StoreErrorKind::busy);
    CHECK(tx_a->has_value() == second_a->has_value());
    CHECK(tx_b->has_value() == second_b->has_value());
    auto winner = second_a->has_value() ? "a" : "b";
    CHECK(a->find_run(r1->id).value()->last_error == winner);
    CHECK(a->find_run(r2->id).value()->last_error == winner);
  }

  TEST_CASE("server errors map to store error kinds by their SQLSTATE") {
    auto kind = [](const char* message) { return pg::to_store_error(make_error(message)).kind; };
    CHECK(kind("PostgreSQL error 23505: ERROR:  duplicate key value violates unique constraint "
               "\"runs_slot_once\"") == StoreErrorKind::duplicate_slot);
    CHECK(kind("PostgreSQL error 23505: ERROR:  duplicate key value violates unique constraint "
               "\"runs_run_id_key\"") == StoreErrorKind::io);
    CHECK(kind("PostgreSQL error 40001: ERROR:  could not serialize access") ==
          StoreErrorKind::busy);
    CHECK(kind("PostgreSQL error 40P01: ERROR:  deadlock detected") == StoreErrorKind::busy);
    CHECK(kind("PostgreSQL error 55P03: ERROR:  canceling statement due to lock timeout") ==
          StoreErrorKind::busy);
    CHECK(kind("PostgreSQL error 53100: ERROR:  could not extend file: No space left on device") ==
          StoreErrorKind::full);
    CHECK(kind("PostgreSQL error 42P01: ERROR:  relation does not exist") == StoreErrorKind::io);
    CHECK(kind("PostgreSQL (host=/x): the connection failed: server closed the connection") ==
          StoreErrorKind::io);
    CHECK(kind("PostgreSQL error 4") == StoreErrorKind::io);
    CHECK(kind("") == StoreErrorKind::io);
  }

  TEST_CASE("row_count refuses a name that is not one of the store's tables") {
    auto store = pg_store();
    CHECK(store->row_count("runs").value() == 0);
    auto r = store->row_count("pg_authid; --");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == StoreErrorKind::not_found);
  }

  TEST_CASE("opening a store on an unreachable server fails within the deadline") {
    auto start = Steady::now();
    auto s = pg::PgRunStore::open("host=/nonexistent-dir dbname=x user=y password=hunter2",
                                  {.statement_deadline = 500ms});
    REQUIRE_FALSE(s.has_value());
    CHECK(Steady::now() - start < 2s);
    CHECK(s.error().kind == StoreErrorKind::io);
    CHECK(s.error().message.find("host=/nonexistent-dir") != std::string::npos);
    CHECK(s.error().message.find("hunter2") == std::string::npos);
  }
}
