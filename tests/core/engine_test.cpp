// The engine's event loop: firing on time, tracking runs to their end, overlap policies.
#include "tests/core/engine_harness.h"

#include <set>

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using storage::Trigger;

TEST_SUITE("core::engine") {
  TEST_CASE("run ids come from the engine's injected source, for schedule and manual runs") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.options.run_id = [n = 0]() mutable { return "fixed-" + std::to_string(++n); };
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.run_ready();
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 2);
    std::set<std::string> ids{runs[0].run_id, runs[1].run_id};
    CHECK(ids == std::set<std::string>{"fixed-1", "fixed-2"});
  }

  TEST_CASE("a due slot fires within milliseconds and the run is tracked to complete") {
    EngineHarness h;
    h.client.poll_answers = {platform::PollResult{}, record_answer("INPROCESS"),
                             record_answer("COMPLETE")};
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    CHECK(h.client.submits.empty());  // a new job starts from now: nothing back-filled
    h.advance(std::chrono::minutes(10));
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.client.submits[0].process_id == "process-orders");
    CHECK(h.client.property(0, "TO") == "2026-01-05T10:10:00Z");
    CHECK(h.client.property(0, "BOOMI_SCHED_RUN_ID").size() == 36);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T10:10:00Z"));
    CHECK(runs[0].trigger == Trigger::schedule);
    CHECK(runs[0].created_at - SysMillis(runs[0].slot) < Millis(5));
    CHECK(runs[0].state == RunState::submitted);
    CHECK(runs[0].request_id == "executionrecord-1");
    CHECK(runs[0].properties_json.find(runs[0].run_id) != std::string::npos);
    h.advance(std::chrono::minutes(1));
    runs = h.runs("orders");
    CHECK(runs[0].state == RunState::complete);
    CHECK(runs[0].execution_id == "execution-1");
    CHECK(h.client.polls.size() == 3);
    CHECK(h.engine->stats().in_flight == 0);
  }

  // A node of a pair whose lease is no longer certain (EngineOptions::may_send): the request
  // stored as leaving does not leave; the run is reconciled, as after a crash at that point.
  TEST_CASE("a request is not sent while may_send says no, the run is reconciled instead") {
    EngineHarness h;
    bool allowed = false;
    h.options.may_send = [&] { return allowed; };
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10));
    CHECK(h.client.submits.empty());
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::submitting);
    CHECK(runs[0].maybe_accepted);
    CHECK(runs[0].attempts == 1);
    h.advance(std::chrono::seconds(2));
    CHECK(h.client.submits.empty());  // never resent blindly, even once sending is allowed
    allowed = true;
    h.advance(std::chrono::seconds(5));
    CHECK(h.client.submits.empty());
    CHECK_FALSE(h.client.queries.empty());
  }

  // Found by the simulation (pair seed 2000041 with commit lanes): triggers of a burst passed
  // may_send, waited for the pace, and left after the lease had expired. The client asks
  // again as each request leaves.
  TEST_CASE("a request whose lease lapses while it waits to leave is not sent, the run is reconciled instead") {
    EngineHarness h;
    int asked = 0;
    h.options.may_send = [&] { return ++asked == 1; };  // yes before the pace, no as it leaves
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10));
    CHECK(asked == 2);
    CHECK(h.client.submits.empty());
    CHECK(h.client.withheld == 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::submitting);
    CHECK(runs[0].maybe_accepted);
    h.advance(std::chrono::seconds(5));
    CHECK(h.client.submits.empty());  // never resent blindly
    CHECK_FALSE(h.client.queries.empty());
  }

  TEST_CASE("the engine is idle between slots: one timer, armed for the next slot") {
    EngineHarness h;
    h.options.maintenance_interval = std::chrono::hours(2);
    h.start(make_config({make_job("a", "0 * * * *"), make_job("b", "30 * * * *")}));
    // The fire timer and the maintenance timer; nothing ticks every second.
    CHECK(h.timers.armed() == 2);
    auto earliest = h.timers.earliest();
    REQUIRE(earliest);
    CHECK(*earliest - h.clock.steady_now() == std::chrono::minutes(30));  // b at 10:30
    h.advance(std::chrono::minutes(30));
    CHECK(h.client.submits.size() == 1);
    CHECK(*h.timers.earliest() - h.clock.steady_now() == std::chrono::seconds(5));  // first poll
    h.client.poll_default = record_answer("COMPLETE");
    h.advance(std::chrono::seconds(5));
    CHECK(h.timers.armed() == 2);
    CHECK(*h.timers.earliest() - h.clock.steady_now() == std::chrono::seconds(30 * 60 - 5));
  }

  TEST_CASE("the last success's slot fills ${last_success_time} of the next run") {
    EngineHarness h;
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(20) + std::chrono::seconds(30));
    REQUIRE(h.client.submits.size() == 2);
    CHECK(h.client.property(0, "FROM") == "");
    CHECK(h.client.property(1, "FROM") == "2026-01-05T10:10:00Z");
  }

  TEST_CASE("overlap skip records the slot as skipped while a run is in flight") {
    EngineHarness h;
    h.client.poll_default = record_answer("INPROCESS");
    h.start(make_config({make_job("orders", "* * * * *")}));
    h.advance(std::chrono::minutes(3));
    CHECK(h.client.submits.size() == 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].state == RunState::running);
    auto gaps = h.gaps("orders");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].kind == RunState::skipped);
    CHECK(gaps[0].count == 2);
    CHECK(gaps[0].reason == fmt::format("overlap: run {} in flight", runs[0].id));
  }

  TEST_CASE("overlap allow fires every slot") {
    EngineHarness h;
    h.client.poll_default = record_answer("INPROCESS");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().overlap = config::Overlap::allow;
    h.start(make_config({job}));
    h.advance(std::chrono::minutes(3));
    CHECK(h.client.submits.size() == 3);
    CHECK(h.engine->stats().in_flight == 3);
  }

  TEST_CASE("overlap queue keeps one slot waiting and fires it when the earlier run ends") {
    EngineHarness h;
    h.client.poll_default = record_answer("INPROCESS");
    auto job = make_job("orders", "* * * * *");
    job.edit_settings().overlap = config::Overlap::queue;
    job.edit_settings().poll = {std::chrono::seconds(5), std::chrono::seconds(5)};
    h.start(make_config({job}));
    h.advance(std::chrono::minutes(3));
    CHECK(h.client.submits.size() == 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 2);  // newest first: the queued one waits in `scheduled`
    CHECK(runs[0].state == RunState::scheduled);
    CHECK(runs[0].slot == instant("2026-01-05T10:02:00Z"));
    auto gaps = h.gaps("orders");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].first == instant("2026-01-05T10:03:00Z"));
    h.client.poll_answers = {record_answer("COMPLETE")};
    h.advance(std::chrono::seconds(5));
    REQUIRE(h.client.submits.size() == 2);
    CHECK(h.client.property(1, "TO") == "2026-01-05T10:02:00Z");
  }
}
