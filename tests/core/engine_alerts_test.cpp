// The engine's alert events and pause_after_failures (daemon/core/engine_alerts.cpp).
#include "tests/core/engine_harness.h"
#include "tests/core/flaky_store.h"

#include <doctest/doctest.h>

namespace bsched::test {

using storage::AlertKind;
using storage::RunState;

namespace {

config::AlertSink sink(std::string name, std::vector<std::string> on = {"failed", "missed",
                                                                          "recovered"}) {
  config::AlertSink s;
  s.name = std::move(name);
  s.webhook = "http://127.0.0.1:9/hook";
  s.on = std::move(on);
  return s;
}

std::shared_ptr<config::Config> alerting(std::vector<config::Job> jobs,
                                         std::vector<config::AlertSink> sinks) {
  auto c = make_config(std::move(jobs));
  c->alerts = std::move(sinks);
  return c;
}

std::vector<storage::AlertDelivery> deliveries(EngineHarness& h) {
  auto r = h.store->due_alerts(SysMillis::max(), 100000);
  REQUIRE(r.has_value());
  return *r;
}

int count(const std::vector<storage::AlertDelivery>& all, AlertKind kind) {
  return static_cast<int>(std::count_if(all.begin(), all.end(), [&](auto& a) { return a.kind == kind; }));
}

int failed_runs(EngineHarness& h, const std::string& job) {
  int n = 0;
  for (const auto& r : h.runs(job)) n += storage::is_failure(r.state);
  return n;
}

}  // namespace

TEST_SUITE("core::engine_alerts") {
  TEST_CASE("every failed run writes exactly one failed event per sink that wants the job") {
    EngineHarness h;
    h.client.poll_default = record_answer("ERROR");
    auto other = sink("other");
    other.jobs = {"billing-*"};
    h.start(alerting({make_job("orders", "* * * * *")}, {sink("chat"), other}));
    h.advance(std::chrono::minutes(10));
    auto all = deliveries(h);
    int failures = failed_runs(h, "orders");
    CHECK(failures >= 9);
    CHECK(count(all, AlertKind::failed) == failures);
    for (const auto& a : all) {
      CHECK(a.sink == "chat");
      CHECK(a.job == "orders");
      CHECK(a.state == "error");
      REQUIRE(a.run.has_value());
      auto run = h.store->find_run(*a.run);
      REQUIRE((run && *run));
      CHECK((*run)->state == RunState::error);
    }
  }

  TEST_CASE("a refused commit writes neither the terminal state nor its event") {
    EngineHarness h;
    h.client.poll_default = record_answer("ERROR");
    FlakyStore flaky(*h.store);
    flaky.fail_transitions = 1;
    flaky.only_to = RunState::error;
    h.start_on(flaky, alerting({make_job("orders", "0 * * * *")}, {sink("chat")}));
    h.advance(std::chrono::minutes(60) + std::chrono::seconds(6));  // slot, submit, first poll
    CHECK(flaky.refused == 1);
    // The refused step left no event; the retried one wrote the state and one event.
    h.advance(std::chrono::seconds(5));
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::error);
    CHECK(count(deliveries(h), AlertKind::failed) == 1);
  }

  TEST_CASE("the event rolls back with its transition inside one savepoint") {
    EngineHarness h;
    h.start(make_config({make_job("orders", "0 * * * *")}));
    storage::NewRun n{"run-1", "orders", storage::Trigger::schedule, instant("2026-01-05T11:00:00Z"), {}};
    auto row = h.store->create_run(n, h.clock.now());
    REQUIRE(row.has_value());
    REQUIRE(h.store->transition(row->id, RunState::submitting, h.clock.now()).has_value());
    auto r = h.store->in_transaction([&]() -> storage::StoreResult<void> {
      BSCHED_TRY(h.store->transition(row->id, RunState::error, h.clock.now()));
      storage::NewAlert a;
      a.job = "orders";
      a.run = row->id;
      a.sinks = {"chat"};
      BSCHED_TRY(h.store->record_alert(a));
      return storage::StoreError{storage::StoreErrorKind::io, "disk full (scripted)"};
    });
    CHECK(!r);
    CHECK(deliveries(h).empty());
    CHECK(h.store->find_run(row->id).value()->state == RunState::submitting);
  }

  TEST_CASE("a missed range writes one missed event in the fire transaction") {
    EngineHarness h("2026-01-05T10:00:30Z");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().catchup = config::Catchup::none;
    auto config = alerting({job}, {sink("chat")});
    REQUIRE(h.store->set_horizon("orders", instant("2026-01-05T09:00:00Z")).has_value());
    h.start(config);
    auto all = deliveries(h);
    REQUIRE(count(all, AlertKind::missed) == 1);
    const auto& m = *std::find_if(all.begin(), all.end(), [](auto& a) { return a.kind == AlertKind::missed; });
    CHECK(m.job == "orders");
    CHECK(m.message.find("60 slots missed") != std::string::npos);
  }

  TEST_CASE("the first success after failures writes recovered") {
    EngineHarness h;
    h.client.poll_answers = {record_answer("ERROR", "e1"), record_answer("ERROR", "e2")};
    h.client.poll_default = record_answer("COMPLETE", "e3");
    h.start(alerting({make_job("orders", "* * * * *")}, {sink("chat")}));
    h.advance(std::chrono::minutes(5));
    auto all = deliveries(h);
    CHECK(count(all, AlertKind::failed) == 2);
    REQUIRE(count(all, AlertKind::recovered) == 1);
    auto rec = *std::find_if(all.begin(), all.end(), [](auto& a) { return a.kind == AlertKind::recovered; });
    CHECK(rec.message == "succeeded after 2 failed runs");
  }
}

TEST_SUITE("core::pause_after_failures") {
  TEST_CASE("N failed runs in a row pause the job with a note, and the alert says so") {
    EngineHarness h;
    h.client.poll_default = record_answer("ERROR");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().pause_after_failures = 3;
    h.start(alerting({job}, {sink("chat")}));
    h.advance(std::chrono::minutes(10));
    CHECK(failed_runs(h, "orders") == 3);  // no run after the pause
    auto state = h.store->job_state("orders");
    REQUIRE(state.has_value());
    CHECK(state->paused);
    CHECK(state->paused_by == "boomi-sched");
    CHECK(state->pause_note.starts_with("paused after 3 consecutive failures; last: run "));
    CHECK(state->pause_note.ends_with(" error"));
    auto all = deliveries(h);
    REQUIRE(count(all, AlertKind::failed) == 3);
    CHECK(all.back().message.find("the job was paused after 3 consecutive failures") !=
          std::string::npos);
    CHECK(all.front().message.find("paused") == std::string::npos);
  }

  TEST_CASE("a success between failures resets the count") {
    EngineHarness h;
    h.client.poll_answers = {record_answer("ERROR"), record_answer("ERROR"),
                             record_answer("COMPLETE"), record_answer("ERROR"),
                             record_answer("ERROR")};
    h.client.poll_default = record_answer("COMPLETE");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().pause_after_failures = 3;
    h.start(make_config({job}));  // no alert sink: the pause works alone
    h.advance(std::chrono::minutes(8));
    CHECK(failed_runs(h, "orders") == 4);
    CHECK(!h.store->job_state("orders").value().paused);
  }

  TEST_CASE("the count is read from the store, so it survives a restart") {
    EngineHarness h;
    h.client.poll_default = record_answer("ERROR");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().pause_after_failures = 3;
    h.start(make_config({job}));
    h.advance(std::chrono::minutes(2) + std::chrono::seconds(30));
    REQUIRE(failed_runs(h, "orders") == 2);
    h.stop();
    h.start(make_config({job}));  // a new engine on the same database
    h.advance(std::chrono::minutes(1));
    CHECK(failed_runs(h, "orders") == 3);
    CHECK(h.store->job_state("orders").value().paused);
  }
}

}  // namespace bsched::test
