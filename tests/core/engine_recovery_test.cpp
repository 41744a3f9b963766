// The engine across restarts, reloads and clock steps: nothing in flight is forgotten,
// nothing is back-filled by an edit, no slot fires twice.
#include "tests/core/engine_harness.h"

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using storage::Trigger;
using std::chrono::minutes;
using std::chrono::seconds;

namespace {

// A run written by an earlier daemon, left in `state`.
storage::RunRow leave_run(EngineHarness& h, const std::string& job, const char* slot,
                          RunState state, const storage::RunUpdate& update = {}) {
  storage::NewRun n{"run-" + job, job, Trigger::schedule, instant(slot), {}};
  auto row = h.store->create_run(n, SysMillis(instant(slot)));
  REQUIRE(row.has_value());
  std::vector<RunState> path = {RunState::submitting, RunState::submitted, RunState::running};
  for (auto s : path) {
    if (row->state == state) break;
    auto u = s == state ? update : storage::RunUpdate{};
    if (s == RunState::submitting) u.last_sent_at = SysMillis(instant(slot));
    if (s == RunState::submitted && !u.request_id) u.request_id = "executionrecord-" + job;
    row = h.store->transition(row->id, s, SysMillis(instant(slot)), u);
    REQUIRE(row.has_value());
  }
  return *row;
}

// After a start with runs run-a and run-b of "orders" left: run-b reconciled (one query, no
// resend) and took its own record, execution-2.
void check_b_took_execution_2(EngineHarness& h) {
  REQUIRE(h.client.queries.size() == 1);
  auto runs = h.runs("orders");
  REQUIRE(runs.size() == 2);
  auto b = runs[0].run_id == "run-b" ? runs[0] : runs[1];
  CHECK(b.run_id == "run-b");
  CHECK(b.execution_id == "execution-2");
  CHECK(b.state == RunState::complete);
  CHECK(h.client.submits.empty());  // reconciled, never resent
}

}  // namespace

TEST_SUITE("core::engine") {
  TEST_CASE("every non-terminal run resumes where it was after a restart") {
    EngineHarness h("2026-01-05T10:00:00Z");
    leave_run(h, "sched", "2026-01-05T09:59:00Z", RunState::scheduled);
    leave_run(h, "stale", "2026-01-05T08:00:00Z", RunState::scheduled);
    leave_run(h, "unsure", "2026-01-05T09:58:00Z", RunState::submitting);
    storage::RunUpdate waiting;
    waiting.next_action_at = std::optional<SysMillis>(SysMillis(instant("2026-01-05T10:00:10Z")));
    waiting.last_error = "HTTP 503: busy";
    waiting.maybe_accepted = false;  // the answer proved the request failed
    leave_run(h, "retry", "2026-01-05T09:58:00Z", RunState::submitting, waiting);
    storage::RunUpdate polling;
    polling.next_action_at = std::optional<SysMillis>(SysMillis(instant("2026-01-05T10:00:20Z")));
    leave_run(h, "polled", "2026-01-05T09:50:00Z", RunState::submitted, polling);
    std::vector<config::Job> jobs;
    for (auto name : {"sched", "stale", "unsure", "retry", "polled"}) {
      jobs.push_back(make_job(name, "0 0 1 1 *"));
    }
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config(jobs));
    // scheduled within its deadline: sent at once; past it: missed, never sent.
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.client.submits[0].process_id == "process-sched");
    CHECK(h.runs("stale")[0].state == RunState::missed);
    // submitting without a recorded sure failure: reconciled, not resent.
    REQUIRE(h.client.queries.size() == 1);
    CHECK(h.client.queries[0].process_id == "process-unsure");
    CHECK(h.client.polls.empty());
    h.advance(seconds(10));
    REQUIRE(h.client.submits.size() == 2);  // the sure failure is retried at its instant
    CHECK(h.client.submits[1].process_id == "process-retry");
    h.advance(seconds(10));
    CHECK(std::count(h.client.polls.begin(), h.client.polls.end(), "executionrecord-polled") == 1);
    CHECK(h.runs("polled")[0].state == RunState::complete);
  }

  TEST_CASE("after a restart a reconcile still never takes the record of a run that ended before") {
    EngineHarness h("2026-01-05T10:00:00Z");
    auto leave = [&](const char* run_id, const char* slot, RunState to,
                     const storage::RunUpdate& last) {
      storage::NewRun n{run_id, "orders", Trigger::schedule, instant(slot), {}};
      n.submitting = true;
      auto row = h.store->create_run(n, SysMillis(instant(slot)));
      REQUIRE(row.has_value());
      if (to == RunState::submitting) return;
      storage::RunUpdate sent;
      sent.request_id = std::string("executionrecord-") + run_id;
      REQUIRE(h.store->transition(row->id, RunState::submitted, SysMillis(instant(slot)), sent)
                  .has_value());
      REQUIRE(h.store->transition(row->id, to, SysMillis(instant(slot)) + seconds(30), last)
                  .has_value());
    };
    // The 09:58 run completed as execution-1 before the crash; the 09:59 trigger is uncertain
    // and its window (from 09:57) shows both records.
    storage::RunUpdate done;
    done.execution_id = "execution-1";
    leave("run-a", "2026-01-05T09:58:00Z", RunState::complete, done);
    leave("run-b", "2026-01-05T09:59:00Z", RunState::submitting, {});
    h.client.query_answers.push_back(std::vector<platform::ExecutionRecord>{
        execution_record("execution-1", "COMPLETE", instant("2026-01-05T09:58:01Z")),
        execution_record("execution-2", "COMPLETE", instant("2026-01-05T09:59:01Z"))});
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    CHECK(h.engine->stats().claimed >= 1);
    check_b_took_execution_2(h);
  }

  // Found by the simulation (seed 1002012, with clean stops): run-a's `submitting` commit,
  // then a suspend of 1 h 42 min, then its request left; it completed, and its tracker (whose
  // time counts from before the suspend on the steady clock) stamped finished_at 1 h 42 min
  // behind the wall clock. After a crash run-b, sent with it, reconciled: the recent finishes
  // read at the start (finished since run-b's send − 4 min) missed run-a, and run-b took
  // run-a's record. A reconcile now asks the store which of the records any run holds.
  TEST_CASE("a reconcile never takes a record a finished run holds, whatever its stored times") {
    EngineHarness h("2026-01-05T11:41:00Z");
    storage::NewRun a{"run-a", "orders", Trigger::schedule, instant("2026-01-05T09:58:00Z"), {}};
    a.submitting = true;
    auto row = h.store->create_run(a, SysMillis(instant("2026-01-05T09:58:00Z")));
    REQUIRE(row.has_value());
    storage::RunUpdate sent;
    sent.request_id = std::string("executionrecord-a");
    REQUIRE(h.store->transition(row->id, RunState::submitted, SysMillis(instant("2026-01-05T09:58:00Z")), sent)
                .has_value());
    storage::RunUpdate done;
    done.execution_id = "execution-1";
    REQUIRE(h.store->transition(row->id, RunState::complete, SysMillis(instant("2026-01-05T09:58:30Z")), done)
                .has_value());
    storage::NewRun b{"run-b", "orders", Trigger::schedule, instant("2026-01-05T11:40:00Z"), {}};
    b.submitting = true;
    REQUIRE(h.store->create_run(b, SysMillis(instant("2026-01-05T11:40:00Z"))).has_value());
    h.client.query_answers.push_back(std::vector<platform::ExecutionRecord>{
        execution_record("execution-1", "COMPLETE", instant("2026-01-05T11:40:00Z")),
        execution_record("execution-2", "COMPLETE", instant("2026-01-05T11:40:01Z"))});
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    check_b_took_execution_2(h);
  }

  TEST_CASE("a trigger that may have been accepted is never sent again after a second crash") {
    // Life 1 sent the request and died before its answer was stored. Life 2 reconciled (the
    // record, a second late, was not visible yet), stored its next reconcile and died. Life 3
    // must reconcile again, never resend; the record then shows and is taken.
    EngineHarness h("2026-01-05T10:00:00Z");
    storage::NewRun n{"run-crash", "crash-07", Trigger::schedule,
                      instant("2026-01-05T09:59:59Z"), {}};
    n.submitting = true;
    REQUIRE(h.store->create_run(n, SysMillis(instant("2026-01-05T09:59:59Z"))).has_value());
    auto config = make_config({make_job("crash-07", "0 0 1 1 *")});
    h.start(config);  // life 2: reconciles, finds nothing, stores when to look again
    REQUIRE(h.client.queries.size() == 1);
    h.run_ready();
    auto stored = h.runs("crash-07");
    REQUIRE(stored.size() == 1);
    CHECK(stored[0].state == RunState::submitting);
    CHECK(stored[0].maybe_accepted);
    CHECK(stored[0].next_action_at.has_value());
    h.engine.reset();  // killed: nothing more is written
    auto queries_before = h.client.queries.size();
    h.client.query_answers.push_back(std::vector<platform::ExecutionRecord>{
        execution_record("execution-7", "COMPLETE", instant("2026-01-05T10:00:00Z"))});
    h.start(config);  // life 3
    h.advance(seconds(5));
    CHECK(h.client.submits.empty());
    CHECK(h.client.queries.size() > queries_before);
    auto after = h.runs("crash-07");
    REQUIRE(after.size() == 1);
    CHECK(after[0].execution_id == "execution-7");
    CHECK(after[0].state == RunState::complete);
    CHECK(after[0].matched_by == "query");
  }

  TEST_CASE("a trigger that surely failed is sent again after a restart, at its retry instant") {
    EngineHarness h("2026-01-05T10:00:00Z");
    storage::RunUpdate failed;
    failed.next_action_at = std::optional<SysMillis>(SysMillis(instant("2026-01-05T10:00:02Z")));
    failed.last_error = "HTTP 503: busy";
    failed.maybe_accepted = false;
    leave_run(h, "retry", "2026-01-05T09:59:59Z", RunState::submitting, failed);
    h.start(make_config({make_job("retry", "0 0 1 1 *")}));
    CHECK(h.client.submits.empty());
    CHECK(h.client.queries.empty());
    h.advance(seconds(2));
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.runs("retry")[0].maybe_accepted);  // stored before the request left
  }

  TEST_CASE("slots missed while the daemon was down catch up once, the rest is one gap") {
    EngineHarness h("2026-01-05T10:05:00Z");
    REQUIRE(h.store->set_horizon("orders", instant("2026-01-05T07:05:00Z")).has_value());
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T10:00:00Z"));
    CHECK(runs[0].trigger == Trigger::catchup);
    auto gaps = h.gaps("orders");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].reason == "daemon down");
    CHECK(gaps[0].first == instant("2026-01-05T07:10:00Z"));
    CHECK(gaps[0].last == instant("2026-01-05T09:50:00Z"));
    CHECK(gaps[0].count == 17);
  }

  TEST_CASE("a forward wall-clock step or a suspend never ends a run as lost or timed out early") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.client.poll_default = platform::PollResult{};  // 202: no record yet
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.advance(seconds(10));
    REQUIRE(h.runs("orders")[0].state == RunState::submitted);
    h.clock.step_wall(std::chrono::hours(2));  // past record_timeout (30 min) on the wall clock
    h.engine->on_clock_step();
    h.advance(minutes(1));
    CHECK(h.runs("orders")[0].state == RunState::submitted);
    auto polls = h.client.polls.size();
    CHECK(polls < 30);  // no tight loop of polls after the step
    h.client.poll_default = record_answer("INPROCESS");
    h.advance(minutes(1));
    REQUIRE(h.runs("orders")[0].state == RunState::running);
    h.clock.step_wall(std::chrono::hours(13));  // past run_timeout (12 h)
    h.engine->on_clock_step();
    h.advance(minutes(1));
    CHECK(h.runs("orders")[0].state == RunState::running);
    // Real time still counts: 30 monotonic minutes without a record would end it as lost.
  }

  TEST_CASE("a reload starts changed and new schedules from now, without back-fill") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.start(make_config({make_job("a", "0 * * * *")}));
    h.advance(minutes(19));
    CHECK(h.client.submits.empty());
    h.engine->reload(make_config({make_job("a", "*/5 * * * *"), make_job("b", "* * * * *")}, "fp-2"));
    h.run_ready();
    CHECK(h.client.submits.empty());  // 10:05, 10:10, 10:15 of the new schedule never fire
    CHECK(h.client.reset_auth_calls == 1);
    h.advance(minutes(1));
    CHECK(h.client.submits.size() == 2);  // a and b at 10:20
    auto runs = h.runs("a");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T10:20:00Z"));
    for (const auto& g : h.gaps("a")) FAIL("unexpected gap " << format_utc(g.first) << " " << g.reason);
    auto hb = h.store->read_heartbeat();
    REQUIRE(hb.has_value());
    REQUIRE(hb->has_value());
    CHECK((*hb)->config_fingerprint == "fp-2");
  }

  TEST_CASE("a removed job's run in flight is tracked to its end") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.client.poll_default = record_answer("INPROCESS");
    h.start(make_config({make_job("gone", "*/10 * * * *")}));
    h.advance(minutes(10));
    CHECK(h.runs("gone")[0].state == RunState::running);
    h.engine->reload(make_config({make_job("other", "0 0 1 1 *")}, "fp-2"));
    h.client.poll_default = record_answer("COMPLETE");
    h.advance(minutes(15));
    CHECK(h.runs("gone").size() == 1);
    CHECK(h.runs("gone")[0].state == RunState::complete);
    CHECK(h.engine->stats().jobs == 1);
  }

  TEST_CASE("a forward clock step turns the skipped slots into catch-up and missed") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.clock.step_wall(std::chrono::hours(2));
    h.engine->on_clock_step();
    h.run_ready();
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].slot == instant("2026-01-05T12:00:00Z"));
    CHECK(runs[0].trigger == Trigger::catchup);
    auto gaps = h.gaps("orders");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].reason == "clock step");
    CHECK(gaps[0].count == 11);
  }

  TEST_CASE("a backward clock step never fires a slot twice") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(10));
    REQUIRE(h.client.submits.size() == 1);
    h.clock.step_wall(-minutes(15));
    h.engine->on_clock_step();
    h.advance(minutes(25));
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].slot == instant("2026-01-05T10:20:00Z"));
    CHECK(runs[1].slot == instant("2026-01-05T10:10:00Z"));
    CHECK(h.gaps("orders").empty());
  }

  TEST_CASE("a burst of 1000 same-second slots creates 1000 runs") {
    EngineHarness h("2026-01-05T10:59:59Z");
    std::vector<config::Job> jobs;
    for (int i = 0; i < 1000; ++i) jobs.push_back(make_job(fmt::format("job-{:04}", i), "0 * * * *"));
    h.start(make_config(std::move(jobs)));
    h.advance(seconds(1));
    CHECK(h.client.submits.size() == 1000);
    CHECK(h.engine->stats().in_flight == 1000);
    CHECK(h.runs("job-0000").size() == 1);
    CHECK(h.runs("job-0999")[0].state == RunState::submitted);
  }

  TEST_CASE("the heartbeat carries the pid, the start and the configuration") {
    EngineHarness h("2026-01-05T10:00:00Z");
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    auto hb = h.store->read_heartbeat();
    REQUIRE(hb.has_value());
    REQUIRE(hb->has_value());
    CHECK((*hb)->pid == 4242);
    CHECK((*hb)->started_at == SysMillis(instant("2026-01-05T10:00:00Z")));
    CHECK((*hb)->config_fingerprint == "fp-1");
    CHECK((*hb)->platform_state == "ok");
    h.advance(seconds(30));
    hb = h.store->read_heartbeat();
    CHECK((*hb)->updated_at == SysMillis(instant("2026-01-05T10:00:30Z")));
  }

  TEST_CASE("a job with catchup_window 0 still fires its on-time slots") {
    EngineHarness h("2026-01-05T10:00:30Z");
    auto job = make_job("orders", "*/10 * * * *");
    job.edit_settings().catchup_window = Millis(0);
    h.start(make_config({job}));
    h.advance(minutes(10));
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.runs("orders")[0].state == RunState::submitted);
  }

  TEST_CASE("terminal runs older than the retention are pruned by the maintenance loop") {
    EngineHarness h("2026-01-05T10:00:00Z");
    auto old_slot = "2025-09-01T10:00:00Z";
    auto row = leave_run(h, "orders", old_slot, RunState::submitted);
    REQUIRE(h.store->transition(row.id, RunState::complete, SysMillis(instant(old_slot))).has_value());
    leave_run(h, "recent", "2026-01-04T10:00:00Z", RunState::scheduled);
    auto config = make_config({make_job("orders", "0 0 1 1 *"), make_job("recent", "0 0 1 1 *")});
    config->storage.retention = std::chrono::days(90);
    h.start(config);
    CHECK(h.runs("orders").size() == 1);
    h.advance(seconds(30));
    CHECK(h.runs("orders").empty());
    CHECK(h.runs("recent").size() == 1);
  }

  TEST_CASE("after stop nothing fires and runs in flight stay for the next start") {
    EngineHarness h("2026-01-05T10:00:30Z");
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(minutes(10));
    CHECK(h.runs("orders")[0].state == RunState::submitted);
    auto polls = h.client.polls.size();
    h.stop();
    h.advance(minutes(30));
    CHECK(h.client.submits.size() == 1);
    CHECK(h.client.polls.size() == polls);
    CHECK(h.runs("orders")[0].state == RunState::submitted);
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(seconds(1));
    CHECK(h.runs("orders").back().state == RunState::complete);
  }
}
