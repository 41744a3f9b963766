// The engine when the state database refuses writes (busy, full): logged, retried, never a
// crash, never a lost or doubled trigger.
#include "tests/core/engine_harness.h"
#include "tests/core/flaky_store.h"
#include "tests/core/forwarding_store.h"

#include <set>

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// Starts an engine on `on` (the harness's store behind a wrapper) and returns what start()
// gave; the engine is destroyed after it.
Result<void> start_once(EngineHarness& h, storage::RunStore& on,
                        std::shared_ptr<const config::Config> config) {
  auto engine = std::make_unique<core::Engine>(h.io, on, h.client, h.clock, std::move(config),
                                               core::EngineOptions{.timers = &h.timers});
  std::optional<Result<void>> started;
  boost::asio::co_spawn(h.io, engine->start(), [&](std::exception_ptr e, Result<void> r) {
    REQUIRE(!e);
    started = r;
  });
  h.run_ready();
  REQUIRE(started.has_value());
  engine.reset();
  h.run_ready();
  return *started;
}

}  // namespace

TEST_SUITE("core::engine") {
  TEST_CASE("a busy store delays the run row and its submitting state, and nothing is sent before it") {
    EngineHarness h("2026-01-05T10:00:30Z");
    FlakyStore flaky(*h.store);
    flaky.fail_creates = 2;
    h.start_on(flaky, make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(9) + seconds(31));  // 10:10:01: refused at 10:10:00 and 10:10:01
    CHECK(h.client.submits.empty());
    CHECK(h.runs("orders").empty());
    h.advance(seconds(2));
    REQUIRE(h.client.submits.size() == 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::submitted);
    CHECK(runs[0].attempts == 1);
    CHECK(flaky.refused == 2);
  }

  TEST_CASE("a store outage shows in the stats, then in the heartbeat once it is over, piled-up slots fire once") {
    EngineHarness h("2026-01-05T10:00:30Z");
    FlakyStore flaky(*h.store);
    flaky.kind = storage::StoreErrorKind::full;
    h.start_on(flaky, make_config({make_job("orders", "* * * * * *")}));
    flaky.fail_batches = 5;  // five refused slot batches, one a second
    h.advance(seconds(2));
    CHECK(h.engine->stats().store.rfind("failing since 2026-01-05T10:00:31", 0) == 0);
    auto submits_before = h.client.submits.size();
    h.advance(seconds(5));
    // After the outage: one run for the slots that piled up (catchup latest), not five.
    CHECK(h.client.submits.size() - submits_before <= 2);
    CHECK(h.engine->stats().store.rfind("ok (last outage 2026-01-05T10:00:31", 0) == 0);
    auto hb = h.store->read_heartbeat();
    REQUIRE(hb.has_value());
    REQUIRE(hb->has_value());
    CHECK((*hb)->store_state.find("last outage") != std::string::npos);
    bool reason_seen = false;
    for (const auto& g : h.gaps("orders")) reason_seen |= g.reason == "state database unavailable";
    CHECK(reason_seen);
  }

  TEST_CASE("a run due while the auth circuit is open is created scheduled and sent once it closes") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.client.health_value.auth_failed = true;
    h.client.health_value.auth_retry_at = SysMillis(instant("2026-01-05T10:10:03Z"));
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(9) + seconds(31));  // 10:10:01
    CHECK(h.client.submits.empty());
    REQUIRE(h.runs("orders").size() == 1);
    CHECK(h.runs("orders")[0].state == RunState::scheduled);
    h.client.health_value = {};
    h.advance(seconds(3));  // 10:10:04
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.runs("orders")[0].state == RunState::submitted);
  }

  TEST_CASE("a requestId the store could not take is kept and written, the trigger is not resent") {
    EngineHarness h("2026-01-05T10:00:30Z");
    FlakyStore flaky(*h.store);
    flaky.fail_transitions = 3;
    flaky.only_to = RunState::submitted;
    flaky.kind = storage::StoreErrorKind::full;
    h.start_on(flaky, make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(9) + seconds(32));
    CHECK(h.runs("orders")[0].state == RunState::submitting);
    h.advance(seconds(2));
    auto run = h.runs("orders")[0];
    CHECK(run.state == RunState::submitted);
    CHECK(run.request_id == "executionrecord-1");
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("a refused slot batch is retried and the slot fires once, a little late") {
    EngineHarness h("2026-01-05T10:00:30Z");
    FlakyStore flaky(*h.store);
    h.start_on(flaky, make_config({make_job("orders", "*/10 * * * *")}));
    flaky.fail_batches = 2;
    h.advance(minutes(9) + seconds(31));  // 10:10:01: refused at 10:10:00 and 10:10:01
    CHECK(h.runs("orders").empty());
    h.advance(minutes(1));
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == *parse_instant("2026-01-05T10:10:00Z"));
    CHECK(runs[0].trigger == storage::Trigger::schedule);  // 2 s late: still on time
    CHECK(runs[0].created_at == SysMillis(*parse_instant("2026-01-05T10:10:02Z")));
    CHECK(h.client.submits.size() == 1);
    CHECK(flaky.refused == 2);
  }

  TEST_CASE("a store outage during a clock step's pass is retried once a second, not in a tight loop") {
    // Found by the simulation (store outages, seed 5): the pass stayed a clock step's, whose
    // jobs are all due, so the fire loop asked the refusing store again at once, forever.
    EngineHarness h("2026-01-05T10:00:30Z");
    FlakyStore flaky(*h.store);
    h.start_on(flaky, make_config({make_job("orders", "*/10 * * * *")}));
    flaky.fail_batches = 1000000;  // down until told otherwise
    h.clock.step_wall(std::chrono::hours(2));
    h.engine->on_clock_step();
    h.advance(seconds(10));
    CHECK(flaky.refused >= 10);
    CHECK(flaky.refused <= 12);  // the step's pass, then one a second
    CHECK(h.runs("orders").empty());
    flaky.fail_batches = 0;
    h.advance(seconds(2));
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T12:00:00Z"));
    bool step_seen = false;
    for (const auto& g : h.gaps("orders")) step_seen |= g.reason == "clock step";
    CHECK(step_seen);
  }

  // Found by the simulation with a commit lane: the job-state read of a start failed in a
  // store outage, the runs-in-flight read just after it succeeded (the outage had ended), and
  // the jobs were taken for new ones: their slots missed while the daemon was down were
  // neither run nor recorded.
  TEST_CASE("a start whose job states cannot be read fails, and the next start accounts for every slot missed") {
    EngineHarness h("2026-01-05T10:00:30Z");
    const auto config = make_config({make_job("orders", "* * * * *")});
    h.start(config);
    h.advance(minutes(2));  // 10:02:30: the 10:01 slot ran (10:02 skipped behind it)
    REQUIRE(h.runs("orders").size() == 1);
    h.engine.reset();  // the daemon dies
    h.run_ready();
    h.clock.advance(minutes(5));  // 10:07:30

    FlakyStore flaky(*h.store);
    flaky.fail_job_states = 1;
    const auto started = start_once(h, flaky, config);
    REQUIRE_FALSE(started.has_value());
    CHECK(started.error().message.find("cannot read the jobs' state") != std::string::npos);
    CHECK(flaky.refused == 1);

    h.clock.advance(minutes(1));  // 10:08:30: started again, the store answering
    h.start(config);
    h.advance(seconds(1));
    // Every slot from 10:03 to 10:08 ran (the latest, catch-up) or is recorded missed.
    std::set<std::chrono::sys_seconds> accounted;
    for (const auto& r : h.runs("orders")) accounted.insert(r.slot);
    for (const auto& g : h.gaps("orders")) {
      for (auto t = g.first; t <= g.last; t += minutes(1)) accounted.insert(t);
    }
    for (auto t = *parse_instant("2026-01-05T10:03:00Z"); t <= *parse_instant("2026-01-05T10:08:00Z");
         t += minutes(1)) {
      CAPTURE(format_utc(t));
      CHECK(accounted.count(t) == 1);
    }
  }

  // A write the store took while the engine heard it fail (PostgreSQL: the connection closed
  // after COMMIT was sent). Found by the simulation with lost commit answers: the tracker
  // retried the step, met the stored row, and sent the request again.
  TEST_CASE("a requestId stored though its commit's answer was lost is polled, not sent again") {
    EngineHarness h("2026-01-05T10:00:30Z");
    ForwardingStore lossy(*h.store);
    bool lost = false;
    lossy.lose_answer = [&]() -> std::optional<storage::StoreError> {
      if (lost || h.client.submits.size() != 1) return std::nullopt;
      lost = true;  // the first commit after the request left: its requestId
      return storage::StoreError{storage::StoreErrorKind::io, "connection closed after COMMIT"};
    };
    h.start_on(lossy, make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(9) + seconds(31));  // 10:10:01
    REQUIRE(lost);
    h.advance(seconds(30));
    CHECK(h.client.submits.size() == 1);
    CHECK_FALSE(h.client.polls.empty());
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::submitted);
    CHECK(runs[0].request_id == "executionrecord-1");
  }

  TEST_CASE("a slot batch stored though its commit's answer was lost is tracked once, not left in flight") {
    EngineHarness h("2026-01-05T10:00:30Z");
    ForwardingStore lossy(*h.store);
    bool armed = false, lost = false;
    lossy.lose_answer = [&]() -> std::optional<storage::StoreError> {
      if (!armed || lost) return std::nullopt;
      lost = true;  // the slot's batch: its run is stored
      return storage::StoreError{storage::StoreErrorKind::io, "connection closed after COMMIT"};
    };
    h.start_on(lossy, make_config({make_job("orders", "*/10 * * * *")}));
    armed = true;
    h.advance(minutes(9) + seconds(30));  // 10:10:00
    REQUIRE(lost);
    CHECK(h.client.submits.empty());
    REQUIRE(h.runs("orders").size() == 1);
    h.advance(seconds(2));  // the batch again: its run is there already, and is taken up
    CHECK(h.engine->stats().in_flight == 1);
    h.advance(minutes(2));
    // Stored as possibly sent: reconciled, never sent blindly.
    CHECK_FALSE(h.client.queries.empty());
    CHECK(h.client.submits.size() <= 1);
    CHECK(h.runs("orders").size() == 1);
  }

  // Found by the pair simulation (seed 7 with lost commit answers): a term started in a store
  // outage, its read of the recently finished runs failed, and a resumed uncertain run's
  // reconcile took a record another run had started.
  TEST_CASE("a start whose recently finished runs cannot be read fails, as a resumed run could take their records") {
    EngineHarness h("2026-01-05T10:00:30Z");
    const auto config = make_config({make_job("orders", "*/10 * * * *")});
    h.client.submit_answers.push_back(
        call_error(platform::FailureKind::uncertain, 0, "reset after send"));
    h.start(config);
    h.advance(minutes(9) + seconds(31));  // 10:10:01: sent, outcome uncertain
    REQUIRE(h.runs("orders").size() == 1);
    REQUIRE(h.runs("orders")[0].state == RunState::submitting);
    h.engine.reset();  // the daemon dies with the run uncertain
    h.run_ready();

    FlakyStore flaky(*h.store);
    flaky.fail_finished_ids = 1;
    const auto started = start_once(h, flaky, config);
    REQUIRE_FALSE(started.has_value());
    CHECK(started.error().message.find("recently finished runs") != std::string::npos);
    CHECK(flaky.refused == 1);
  }

  // The simulation's long run (seed 2000601): a batch's answer was lost just as a reload
  // removed its job, so no retry met the stored run; it stayed in flight untracked.
  TEST_CASE("a slot batch whose answer was lost is taken up after the next batch, even with its job removed") {
    EngineHarness h("2026-01-05T10:00:30Z");
    ForwardingStore lossy(*h.store);
    bool armed = false, lost = false;
    lossy.lose_answer = [&]() -> std::optional<storage::StoreError> {
      if (!armed || lost) return std::nullopt;
      lost = true;
      return storage::StoreError{storage::StoreErrorKind::io, "connection closed after COMMIT"};
    };
    h.start_on(lossy, make_config({make_job("orders", "*/10 * * * *")}));
    armed = true;
    h.advance(minutes(9) + seconds(30));  // 10:10:00: the batch stored, its answer lost
    REQUIRE(lost);
    h.engine->reload(make_config({}, "fp-empty"));  // the job is gone before the retry
    h.advance(seconds(2));
    CHECK(h.engine->stats().in_flight == 1);  // the stored run is tracked
    h.advance(minutes(2));
    CHECK_FALSE(h.client.queries.empty());  // reconciled, never sent blindly
    CHECK(h.client.submits.size() <= 1);
  }

  // The simulation's long run (seed 2000103): a run's `submitting` write was stored though
  // its answer was lost; at its next action its deadline had passed, and the tracker, still
  // seeing `scheduled`, asked for submitting -> missed, an illegal change.
  TEST_CASE("after a write whose outcome is unknown the run's row is read before its next action") {
    EngineHarness h("2026-01-05T10:00:30Z");
    struct Lossy final : ForwardingStore {
      using ForwardingStore::ForwardingStore;
      int illegal = 0;
      storage::StoreResult<storage::RunRow> transition(std::int64_t id, RunState to, SysMillis now,
                                                       const storage::RunUpdate& u) override {
        auto r = ForwardingStore::transition(id, to, now, u);
        if (!r && r.error().kind == storage::StoreErrorKind::illegal_transition) ++illegal;
        return r;
      }
    } lossy(*h.store);
    bool armed = false, lost = false;
    lossy.lose_answer = [&]() -> std::optional<storage::StoreError> {
      if (!armed || lost) return std::nullopt;
      lost = true;  // the first commit once armed: scheduled -> submitting
      return storage::StoreError{storage::StoreErrorKind::io, "connection closed after COMMIT"};
    };
    h.client.health_value.auth_failed = true;
    h.client.health_value.auth_retry_at = SysMillis(instant("2026-01-05T10:10:03Z"));
    auto job = make_job("orders", "*/10 * * * *");
    job.edit_settings().catchup_window = seconds(4);  // no trigger leaves after 10:10:04
    h.start_on(lossy, make_config({job}));
    h.advance(minutes(9) + seconds(31));  // 10:10:01: created scheduled, the circuit open
    REQUIRE(h.runs("orders").size() == 1);
    REQUIRE(h.runs("orders")[0].state == RunState::scheduled);
    h.client.health_value = {};
    armed = true;
    h.advance(seconds(2));  // 10:10:03: its submitting write stored, the answer lost
    REQUIRE(lost);
    h.advance(seconds(5));  // past the deadline
    CHECK(lossy.illegal == 0);  // no change asked from a state the row had left
    CHECK(h.client.submits.empty());
    h.advance(minutes(1));
    CHECK_FALSE(h.client.queries.empty());  // possibly sent: reconciled
  }
}
