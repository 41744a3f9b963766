// The rest of the RunStore contract on both stores: the alert outbox, the failure streak, the
// totals the metrics start from, and the command line's reads (history pages, job lists,
// daemon notes).
#include "tests/storage/store_fixtures.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::storage;
using namespace bsched::test;

namespace {

NewAlert alert(AlertKind kind, const std::string& job, SysMillis at,
               std::vector<std::string> sinks) {
  NewAlert a;
  a.kind = kind;
  a.job = job;
  a.run = 7;
  a.slot = t0();
  a.state = "error";
  a.execution_id = "execution-1";
  a.message = "it broke";
  a.created_at = at;
  a.sinks = std::move(sinks);
  return a;
}

}  // namespace

TEST_SUITE("storage::run_store") {
  TEST_CASE_TEMPLATE("an alert is one event with a delivery per sink, settled one outcome at a time",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    REQUIRE(store->record_alert(alert(AlertKind::failed, "a", ms(t0()), {})).has_value());
    CHECK(f.count("alert_events") == 0);
    REQUIRE(store->record_alert(alert(AlertKind::failed, "a", ms(t0()), {"mail", "hook \"x\""}))
                .has_value());
    REQUIRE(store->record_alert(alert(AlertKind::missed, "b", ms(t0() + 10s), {"mail"}))
                .has_value());
    CHECK(f.count("alert_events") == 2);
    CHECK(f.count("alert_deliveries") == 3);
    CHECK(store->next_alert_at().value() == ms(t0()));

    auto due = store->due_alerts(ms(t0() + 5s), 10);
    REQUIRE(due.has_value());
    REQUIRE(due->size() == 2);
    const auto& d = due->front();
    CHECK(d.sink == "mail");
    CHECK((*due)[1].sink == "hook \"x\"");
    CHECK(d.event_id == (*due)[1].event_id);
    CHECK(d.kind == AlertKind::failed);
    CHECK(d.job == "a");
    CHECK(d.run == 7);
    CHECK(d.slot == t0());
    CHECK(d.state == "error");
    CHECK(d.execution_id == "execution-1");
    CHECK(d.message == "it broke");
    CHECK(d.created_at == ms(t0()));
    CHECK(d.attempts == 0);
    CHECK(!d.folded);
    CHECK(store->due_alerts(ms(t0() + 20s), 1)->size() == 1);

    using Kind = AlertOutcome::Kind;
    auto first = d.id, second = (*due)[1].id;
    REQUIRE(store->settle_alerts({first}, {Kind::retry, ms(t0()), ms(t0() + 60s), "HTTP 500"})
                .has_value());
    REQUIRE(store->settle_alerts({second}, {Kind::folded, ms(t0()), ms(t0() + 30s), ""})
                .has_value());
    due = store->due_alerts(ms(t0() + 40s), 10);
    REQUIRE(due->size() == 2);  // b's (due at 10 s), then the folded one (30 s)
    CHECK((*due)[0].job == "b");
    CHECK((*due)[1].id == second);
    CHECK((*due)[1].folded);
    CHECK(store->next_alert_at().value() == ms(t0() + 10s));
    due = store->due_alerts(ms(t0() + 60s), 10);
    REQUIRE(due->size() == 3);
    CHECK(due->back().id == first);
    CHECK(due->back().attempts == 1);
    CHECK(due->back().last_error == "HTTP 500");

    CHECK(!store->last_alert_sent("mail", "a", AlertKind::failed)->has_value());
    REQUIRE(store->settle_alerts({first}, {Kind::delivered, ms(t0() + 61s), {}, ""}).has_value());
    REQUIRE(store->settle_alerts({second}, {Kind::given_up, ms(t0() + 62s), {}, "HTTP 410"})
                .has_value());
    CHECK(store->last_alert_sent("mail", "a", AlertKind::failed).value() == ms(t0() + 61s));
    CHECK(!store->last_alert_sent("mail", "a", AlertKind::missed)->has_value());
    CHECK(!store->last_alert_sent("hook \"x\"", "a", AlertKind::failed)->has_value());
    due = store->due_alerts(ms(t0() + 3600s), 10);
    REQUIRE(due->size() == 1);
    CHECK(due->front().job == "b");
    REQUIRE(store->settle_alerts({due->front().id}, {Kind::delivered, ms(t0() + 70s), {}, ""})
                .has_value());
    CHECK(!store->next_alert_at()->has_value());
    CHECK(store->settle_alerts({}, {Kind::delivered, ms(t0()), {}, ""}).has_value());

    // Settled deliveries and then their events go with prune.
    CHECK(store->prune(ms(t0() + 3600s), 100).value() == 5);
    CHECK(f.count("alert_events") == 0);
  }

  TEST_CASE_TEMPLATE("the failure streak counts failed runs since the latest success",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    CHECK(store->failure_streak("a", std::nullopt).value() == 0);
    run_in_state(*store, "a", t0(), RunState::error);
    run_in_state(*store, "a", t0() + 60s, RunState::complete);
    run_in_state(*store, "a", t0() + 120s, RunState::lost);
    run_in_state(*store, "a", t0() + 180s, RunState::missed);  // not a failure
    run_in_state(*store, "a", t0() + 240s, RunState::timed_out);
    run_in_state(*store, "b", t0() + 240s, RunState::error);
    CHECK(store->failure_streak("a", std::nullopt).value() == 2);
    CHECK(store->failure_streak("a", t0() + 240s).value() == 1);
    CHECK(store->failure_streak("a", t0() + 60s).value() == 1);
    CHECK(store->failure_streak("b", std::nullopt).value() == 1);
  }

  TEST_CASE_TEMPLATE("totals count runs by job, trigger, state and sending, and the ledger",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    run_in_state(*store, "a", t0(), RunState::complete);
    run_in_state(*store, "a", t0() + 60s, RunState::complete);
    run_in_state(*store, "a", t0() + 120s, RunState::missed);
    REQUIRE(store->record_gap(SlotGap{0, "a", RunState::missed, t0() + 180s, t0() + 300s, 3,
                                      "daemon down", ms(t0())})
                .has_value());
    REQUIRE(store->record_gap(SlotGap{0, "b", RunState::skipped, t0(), t0(), 1, "overlap",
                                      ms(t0())})
                .has_value());
    auto t = store->totals();
    REQUIRE(t.has_value());
    auto runs = [&](RunState s) -> const StoreTotals::Runs* {
      for (const auto& r : t->runs)
        if (r.job == "a" && r.state == s) return &r;
      return nullptr;
    };
    REQUIRE(runs(RunState::complete) != nullptr);
    CHECK(runs(RunState::complete)->count == 2);
    CHECK(!runs(RunState::complete)->sent);  // moved along without a request counted
    CHECK(runs(RunState::complete)->last_slot == t0() + 60s);
    REQUIRE(runs(RunState::missed) != nullptr);
    CHECK(!runs(RunState::missed)->sent);
    CHECK(t->runs.size() == 2);
    NewRun sent = new_run("c", t0());
    sent.submitting = true;
    REQUIRE(store->create_run(sent, ms(t0())).has_value());
    t = store->totals();
    REQUIRE(t->runs.size() == 3);
    bool c_sent = false;
    for (const auto& r : t->runs)
      if (r.job == "c") c_sent = r.sent && r.state == RunState::submitting && r.count == 1;
    CHECK(c_sent);
    REQUIRE(t->gaps.size() == 2);
    std::int64_t skipped = 0, missed = 0;
    for (const auto& g : t->gaps) (g.kind == RunState::skipped ? skipped : missed) += g.count;
    CHECK(skipped == 1);
    CHECK(missed == 3);
    std::int64_t a_missed = -1;
    for (const auto& j : t->jobs)
      if (j.job == "a") a_missed = j.missed_since_success;
    CHECK(a_missed == 4);  // the missed run after the last success, and the range of 3
  }

  TEST_CASE_TEMPLATE("history pages go back from an instant, job lists and daemon notes",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    for (int i = 0; i < 5; ++i)
      run_in_state(*store, "b", t0() + std::chrono::seconds(60 * i), RunState::complete);
    REQUIRE(store->record_gap(SlotGap{0, "b", RunState::missed, t0() + 30s, t0() + 30s, 1,
                                      "paused", ms(t0())})
                .has_value());
    run_in_state(*store, "a", t0(), RunState::running);
    REQUIRE(store->set_paused("c", true, "", "ops", ms(t0())).has_value());
    auto page = store->history_before("b", t0() + 120s, 3);
    REQUIRE(page.has_value());
    REQUIRE(page->size() == 3);
    CHECK(std::get<RunRow>((*page)[0]).slot == t0() + 60s);
    CHECK(std::get<SlotGap>((*page)[1]).last == t0() + 30s);
    CHECK(std::get<RunRow>((*page)[2]).slot == t0());
    CHECK(store->known_jobs().value() == std::vector<std::string>{"a", "b", "c"});
    CHECK(store->in_flight_jobs().value() == std::vector<std::string>{"a"});

    CHECK(!store->read_daemon_notes().value().has_value());
    DaemonNotes notes{.pid = 42, .stopped_at = ms(t0()), .reload_errors = 2,
                      .reload_error = "line 3: bad"};
    REQUIRE(store->write_daemon_notes(notes).has_value());
    auto back = store->read_daemon_notes().value();
    REQUIRE(back.has_value());
    CHECK(back->pid == 42);
    CHECK(back->stopped_at == ms(t0()));
    CHECK(!back->reload_failed_at.has_value());
    CHECK(back->reload_errors == 2);
    CHECK(back->reload_error == "line 3: bad");
    REQUIRE(store->write_daemon_notes(DaemonNotes{.pid = 43}).has_value());
    CHECK(!store->read_daemon_notes().value()->stopped_at.has_value());
    CHECK(f.count("daemon_notes") == 1);
  }

  TEST_CASE_TEMPLATE("nested transactions: an inner failure undoes only the inner part",
                     F, SqliteFixture, PgFixture) {
    F f;
    auto& store = f.store;
    auto outer = store->in_transaction([&]() -> StoreResult<void> {
      BSCHED_TRY(store->create_run(new_run("a", t0()), ms(t0())));
      auto inner = store->in_transaction([&]() -> StoreResult<void> {
        BSCHED_TRY(store->create_run(new_run("b", t0()), ms(t0())));
        return StoreError{StoreErrorKind::io, "inner gives up"};
      });
      CHECK(!inner.has_value());
      return store->in_transaction([&]() -> StoreResult<void> {
        BSCHED_TRY(store->create_run(new_run("c", t0()), ms(t0())));
        return {};
      });
    });
    REQUIRE(outer.has_value());
    CHECK(store->recent_runs("a", 5)->size() == 1);
    CHECK(store->recent_runs("b", 5)->empty());
    CHECK(!store->job_state("b")->horizon.has_value());
    CHECK(store->recent_runs("c", 5)->size() == 1);
  }
}
