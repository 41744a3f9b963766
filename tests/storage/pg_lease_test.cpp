// The leader lease's statements against the private cluster: the fencing epoch rules, on the
// database clock (expiry is forced by moving expires_at, so nothing sleeps).
#include "storage/pg/pg_lease.h"
#include "storage/pg/pg_migrations.h"
#include "storage/pg/pg_run_store.h"
#include "tests/storage/store_test_util.h"
#include "tests/support/pg_test_util.h"

#include <doctest/doctest.h>

#include <ostream>
#include <thread>

using namespace std::chrono_literals;
using namespace bsched;
using namespace bsched::storage;
using namespace bsched::storage::pg;
using bsched::test::pg_connect;
using bsched::test::PgCluster;
using bsched::test::run_pg;

namespace bsched::storage::pg {
std::ostream& operator<<(std::ostream& os, const LeaseClaim& c) {
  return os << (c.held ? "held" : "not held") << " epoch " << c.epoch << " by " << c.holder;
}
}  // namespace bsched::storage::pg

namespace {

struct Db {
  explicit Db(const char* name)
      : conninfo(PgCluster::get().new_database(name)), c(pg_connect(io, conninfo)) {
    REQUIRE(run_pg(io, run_migrations(*c, 2s)));
  }
  LeaseClaim claim(const char* node, Millis lease = 15s) {
    auto r = run_pg(io, claim_lease(*c, "main", node, lease, 2s));
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return *r;
  }
  void expire() {
    REQUIRE(run_pg(
        io, c->query("UPDATE leader_lease SET expires_at = now() - interval '1 s'", {}, 2s)));
  }
  std::string conninfo;
  boost::asio::io_context io;
  std::unique_ptr<PgConnection> c;
};

}  // namespace

TEST_SUITE("storage::pg_lease") {
  TEST_CASE("the first claim holds the lease under epoch 1 and a renewal keeps the epoch") {
    Db db("lease_first");
    auto first = db.claim("a");
    CHECK(first.held);
    CHECK(first.epoch == 1);
    CHECK(first.remaining > 14s);
    auto again = db.claim("a");
    CHECK(again.held);
    CHECK(again.epoch == 1);
  }

  TEST_CASE("a claim while another node's lease runs says who holds it and changes nothing") {
    Db db("lease_held");
    db.claim("a");
    auto b = db.claim("b");
    CHECK_FALSE(b.held);
    CHECK(b.holder == "a");
    CHECK(b.epoch == 1);
    CHECK(b.remaining > 14s);
    CHECK(db.claim("a").epoch == 1);
  }

  TEST_CASE("after the holder's lease expires another node takes it under epoch + 1") {
    Db db("lease_expired");
    db.claim("a");
    db.expire();
    auto b = db.claim("b");
    CHECK(b.held);
    CHECK(b.epoch == 2);
    auto a = db.claim("a");
    CHECK_FALSE(a.held);
    CHECK(a.holder == "b");
  }

  TEST_CASE("a node that claims again after its own lease expired gets a new epoch") {
    Db db("lease_own_expiry");
    db.claim("a");
    db.expire();
    auto a = db.claim("a");
    CHECK(a.held);
    CHECK(a.epoch == 2);
  }

  TEST_CASE(
      "a resignation by the holder frees the lease and notifies, by another it does "
      "nothing") {
    Db db("lease_resign");
    auto listener = pg_connect(db.io, PgCluster::get().conninfo("lease_resign"));
    REQUIRE(run_pg(db.io, listener->listen(k_leader_channel, 2s)));
    db.claim("a");
    auto wrong = run_pg(db.io, resign_lease(*db.c, "main", "b", 1, 2s));
    REQUIRE(wrong);
    CHECK_FALSE(*wrong);
    auto stale = run_pg(db.io, resign_lease(*db.c, "main", "a", 7, 2s));
    REQUIRE(stale);
    CHECK_FALSE(*stale);  // not under that epoch
    auto done = run_pg(db.io, resign_lease(*db.c, "main", "a", 1, 2s));
    REQUIRE(done);
    CHECK(*done);
    auto n = run_pg(db.io, listener->next_notification(k_leader_channel, 2s));
    REQUIRE(n.has_value());
    REQUIRE(n->has_value());
    CHECK((*n)->payload == "main");
    auto b = db.claim("b");
    CHECK(b.held);
    CHECK(b.epoch == 2);
  }

  TEST_CASE("a node row records role, version and epoch with the database's time") {
    Db db("lease_nodes");
    REQUIRE(run_pg(db.io, record_node(*db.c, {"a", "0.1.0", "standby", 0}, 2s)));
    REQUIRE(run_pg(db.io, record_node(*db.c, {"a", "0.1.0", "leader", 3}, 2s)));
    auto r = run_pg(db.io, db.c->query("SELECT role, epoch, version, last_seen <= now(), "
                                       "count(*) OVER () FROM nodes",
                                       {}, 2s));
    REQUIRE(r);
    CHECK(r->at(0, 0) == "leader");
    CHECK(r->at(0, 1) == "3");
    CHECK(r->at(0, 2) == "0.1.0");
    CHECK(r->at(0, 3) == "t");
    CHECK(r->at(0, 4) == "1");
  }

  // The send fence: every write that lets a request leave checks the lease in its own
  // transaction; without the lease (another epoch, another holder, too little time left) the
  // write changes nothing.
  TEST_CASE("a fenced store lets requests leave only under its own epoch with margin left") {
    Db db("lease_fence");
    REQUIRE(db.claim("a", 15s).epoch == 1);
    auto opened = PgRunStore::open(db.conninfo);
    REQUIRE(opened.has_value());
    auto& store = **opened;
    auto slot = std::chrono::sys_seconds{std::chrono::seconds{1'800'000'000}};
    auto now = test::ms(slot);
    auto ok_run = store.create_run(test::new_run("j", slot), now);
    auto refused_run = store.create_run(test::new_run("j", slot + 60s), now);
    REQUIRE(ok_run.has_value());
    REQUIRE(refused_run.has_value());

    store.set_send_fence(SendFence{"main", "a", 1, 5s});
    CHECK(store.transition(ok_run->id, RunState::submitting, now, first_send(now)).has_value());

    // Another epoch (a takeover happened): no row moves, no request may leave.
    store.set_send_fence(SendFence{"main", "a", 2, 5s});
    auto refused = store.transition(refused_run->id, RunState::submitting, now, first_send(now));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("does not hold the leader lease") != std::string::npos);
    CHECK(store.find_run(refused_run->id).value()->state == RunState::scheduled);
    // A run created leaving at once, and one more attempt, are fenced alike.
    NewRun leaving = test::new_run("j", slot + 120s);
    leaving.submitting = true;
    CHECK_FALSE(store.create_run(leaving, now).has_value());
    RunUpdate again;  // as the engine writes a resend
    again.attempts = 2;
    again.last_sent_at = now;
    again.maybe_accepted = true;
    CHECK_FALSE(store.update(ok_run->id, again).has_value());
    CHECK(store.find_run(ok_run->id).value()->attempts == 1);

    // The right epoch, but less time left than the margin.
    store.set_send_fence(SendFence{"main", "a", 1, 20s});
    CHECK_FALSE(store.transition(refused_run->id, RunState::submitting, now, first_send(now))
                    .has_value());
    // The lease ran out: refused under any margin; writes that send nothing still work.
    db.expire();
    store.set_send_fence(SendFence{"main", "a", 1, 0s});
    CHECK_FALSE(store.transition(refused_run->id, RunState::submitting, now, first_send(now))
                    .has_value());
    CHECK(store.transition(refused_run->id, RunState::skipped, now).has_value());
    // Without a fence (the command line), nothing is checked.
    store.set_send_fence(std::nullopt);
    CHECK(store.create_run(leaving, now).has_value());
  }

  // The fence is the last statement of its transaction: a fenced write that waits (here on a
  // locked `runs` table) holds no lock on the lease row meanwhile, so the holder's renewal
  // and a standby's claim are answered at once rather than after the write's deadline.
  TEST_CASE("a fenced write waiting on a locked table leaves the lease row free to renew") {
    Db db("lease_fence_wait");
    REQUIRE(db.claim("a", 15s).epoch == 1);
    auto opened = PgRunStore::open(db.conninfo, {.statement_deadline = 4s});
    REQUIRE(opened.has_value());
    auto& store = **opened;
    auto slot = std::chrono::sys_seconds{std::chrono::seconds{1'800'000'000}};
    auto now = test::ms(slot);
    auto run = store.create_run(test::new_run("j", slot), now);
    REQUIRE(run.has_value());
    store.set_send_fence(SendFence{"main", "a", 1, 1s});

    test::TableLock lock(db.conninfo, "runs");
    std::optional<StoreResult<RunRow>> sent;
    std::thread writer([&] {
      sent = store.transition(run->id, RunState::submitting, now, first_send(now));
    });
    // Until the write waits on the table lock (polled, bounded; nothing sleeps).
    bool waiting = false;
    auto until = std::chrono::steady_clock::now() + 5s;
    while (!waiting && std::chrono::steady_clock::now() < until) {
      auto r = run_pg(db.io, db.c->query("SELECT 1 FROM pg_stat_activity WHERE datname = "
                                         "current_database() AND wait_event_type = 'Lock'",
                                         {}, 2s));
      REQUIRE(r);
      waiting = !r->rows.empty();
    }
    CHECK(waiting);
    // The holder renews, and a standby learns who holds the lease, within 500 ms each.
    auto renewed = run_pg(db.io, claim_lease(*db.c, "main", "a", 15s, 500ms));
    CHECK_MESSAGE(renewed, (renewed ? "" : renewed.error().message));
    if (renewed) CHECK(renewed->held);
    auto other = run_pg(db.io, claim_lease(*db.c, "main", "b", 15s, 500ms));
    CHECK_MESSAGE(other, (other ? "" : other.error().message));
    if (other) CHECK_FALSE(other->held);
    lock.release();
    writer.join();
    REQUIRE(sent.has_value());
    CHECK_MESSAGE(sent->has_value(), (*sent ? "" : sent->error().message));
    CHECK(store.find_run(run->id).value()->state == RunState::submitting);
  }
}
