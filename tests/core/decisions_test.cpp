#include "daemon/core/decisions.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::core;
using platform::CallError;
using platform::FailureKind;
using storage::RunState;

namespace {

SysMillis ms(const char* iso) { return SysMillis(*parse_instant(iso)); }

config::Job job() {
  config::Job j;
  j.name = "orders";
  j.process_id = "p-1";
  j.edit_settings().atom_id = "a-1";
  return j;
}

storage::RunRow run_in(RunState s) {
  storage::RunRow r;
  r.id = 7;
  r.job = "orders";
  r.slot = *parse_instant("2026-01-01T10:00:00Z");
  r.state = s;
  r.attempts = 1;
  r.created_at = ms("2026-01-01T10:00:00Z");
  r.submitting_at = r.last_sent_at = ms("2026-01-01T10:00:00Z");
  if (s == RunState::submitted || s == RunState::running) {
    r.submitted_at = ms("2026-01-01T10:00:01Z");
    r.request_id = "executionrecord-1";
  }
  if (s == RunState::running) r.running_at = ms("2026-01-01T10:00:10Z");
  return r;
}

CallError fail(FailureKind k, int http = 0) {
  CallError e;
  e.kind = k;
  e.http_status = http;
  e.message = "boom";
  return e;
}

platform::ExecutionRecord record(std::string status, std::string id = "execution-1") {
  platform::ExecutionRecord r;
  r.execution_id = std::move(id);
  r.message = status == "ERROR" ? "Map failed" : "";
  r.status = std::move(status);
  r.execution_time = *parse_instant("2026-01-01T10:00:05Z");
  r.inbound_document_count = 3;
  return r;
}

platform::PollResult poll_record(std::string status) {
  platform::PollResult p;
  p.kind = platform::PollResult::Kind::record;
  p.record = record(std::move(status));
  return p;
}

}  // namespace

TEST_SUITE("core::decisions") {
  TEST_CASE("skip records the slot while a run is in flight, allow fires anyway") {
    CHECK(decide_overlap(config::Overlap::skip, std::nullopt, false).action == OverlapAction::fire);
    auto d = decide_overlap(config::Overlap::skip, 812, false);
    CHECK(d.action == OverlapAction::skip);
    CHECK(d.reason == "overlap: run 812 in flight");
    CHECK(decide_overlap(config::Overlap::allow, 812, false).action == OverlapAction::fire);
  }

  TEST_CASE("queue keeps one waiting slot and skips the next") {
    CHECK(decide_overlap(config::Overlap::queue, 3, false).action == OverlapAction::queue);
    auto d = decide_overlap(config::Overlap::queue, 3, true);
    CHECK(d.action == OverlapAction::skip);
    CHECK(d.reason.find("run 3 in flight") != std::string::npos);
    CHECK(decide_overlap(config::Overlap::queue, std::nullopt, false).action == OverlapAction::fire);
  }

  TEST_CASE("the poll interval grows by half each time up to the maximum") {
    config::PollPolicy p{Millis(5000), Millis(60000)};
    CHECK(poll_delay(p, 0) == Millis(5000));
    CHECK(poll_delay(p, 1) == Millis(7500));
    CHECK(poll_delay(p, 2) == Millis(11250));
    CHECK(poll_delay(p, 20) == Millis(60000));
    CHECK(poll_delay(p, 0, 0.0) == Millis(4500));
    CHECK(poll_delay(p, 0, 0.999) < Millis(5500));
  }

  TEST_CASE("submit retries back off with full jitter and stop at the attempt budget") {
    config::RetryPolicy p{3, Millis(2000), Millis(5000)};
    auto now = ms("2026-01-01T10:00:00Z");
    auto deadline = now + 1h;
    auto d1 = decide_submit_retry(p, 1, now, deadline, 1.0);
    CHECK(d1.retry);
    CHECK(d1.at == now + Millis(2000));
    CHECK(decide_submit_retry(p, 2, now, deadline, 1.0).at == now + Millis(4000));
    CHECK(decide_submit_retry(p, 2, now, deadline, 0.5).at == now + Millis(2000));
    CHECK(decide_submit_retry(p, 2, now, deadline, 0.0).at == now + Millis(100));
    auto d3 = decide_submit_retry(p, 3, now, deadline, 0.5);
    CHECK_FALSE(d3.retry);
    CHECK(d3.reason == "retry budget spent (3 attempts)");
  }

  TEST_CASE("the backoff is capped, honours Retry-After and never passes the deadline") {
    config::RetryPolicy p{10, Millis(2000), Millis(5000)};
    auto now = ms("2026-01-01T10:00:00Z");
    CHECK(decide_submit_retry(p, 8, now, now + 1h, 1.0).at == now + Millis(5000));
    CHECK(decide_submit_retry(p, 1, now, now + 1h, 0.1, Millis(30000)).at == now + Millis(30000));
    auto late = decide_submit_retry(p, 1, now, now + Millis(500), 1.0);
    CHECK_FALSE(late.retry);
    CHECK(late.reason.find("deadline") != std::string::npos);
    CHECK(submit_deadline(*parse_instant("2026-01-01T10:00:00Z"), 1h) == ms("2026-01-01T11:00:00Z"));
    // catchup_window 0 still lets an on-time trigger leave a few milliseconds after its slot.
    CHECK(submit_deadline(*parse_instant("2026-01-01T10:00:00Z"), 0ms) == ms("2026-01-01T10:00:05Z"));
  }

  TEST_CASE("an accepted trigger moves the run to submitted with its requestId") {
    auto now = ms("2026-01-01T10:00:01Z");
    auto step = on_submit_answer(run_in(RunState::submitting), job(),
                                 platform::SubmitResult{"executionrecord-9"}, now, 0.5);
    CHECK(step.kind == RunStep::Kind::transition);
    CHECK(step.to == RunState::submitted);
    CHECK(step.update.request_id == "executionrecord-9");
    CHECK(step.at == now + 5s);
    CHECK(step.event == RunEvent::submitted);
  }

  TEST_CASE("a refused trigger is rejected, a transient failure retried, an uncertain one reconciled") {
    auto now = ms("2026-01-01T10:00:01Z");
    auto r = run_in(RunState::submitting);
    auto rejected = on_submit_answer(r, job(), fail(FailureKind::permanent, 403), now, 0.5);
    CHECK(rejected.to == RunState::rejected);
    CHECK(rejected.update.last_error == "HTTP 403: boom");
    auto retry = on_submit_answer(r, job(), fail(FailureKind::throttled, 503), now, 1.0);
    CHECK(retry.kind == RunStep::Kind::resend);
    CHECK(retry.at == now + 2s);
    auto unsure = on_submit_answer(r, job(), fail(FailureKind::uncertain), now, 0.5);
    CHECK(unsure.kind == RunStep::Kind::reconcile);
    CHECK_FALSE(unsure.update.maybe_accepted.has_value());  // stays set: only reconciled
    CHECK(retry.update.maybe_accepted == false);
    CHECK(rejected.update.maybe_accepted == false);
    auto garbled = on_submit_answer(r, job(), fail(FailureKind::bad_response, 200), now, 0.5);
    CHECK(garbled.kind == RunStep::Kind::reconcile);
  }

  TEST_CASE("a transient failure past the budget ends the run as submit_failed") {
    auto r = run_in(RunState::submitting);
    r.attempts = 5;
    auto step = on_submit_answer(r, job(), fail(FailureKind::retry_later, 500),
                                 ms("2026-01-01T10:00:30Z"), 0.5);
    CHECK(step.to == RunState::submit_failed);
    CHECK(step.update.last_error->find("retry budget spent") != std::string::npos);
  }

  TEST_CASE("an auth failure waits for the circuit, at most until just past the deadline") {
    auto r = run_in(RunState::submitting);
    auto now = ms("2026-01-01T10:00:01Z");
    auto wait = on_submit_answer(r, job(), fail(FailureKind::auth, 401), now, 0.5, now + 10min);
    CHECK(wait.kind == RunStep::Kind::resend);
    CHECK(wait.at == now + 10min);
    // A probe later than the deadline: held to just past it (new credentials may arrive
    // first; the engine wakes held runs on a reload), then the send path ends it.
    auto held = on_submit_answer(r, job(), fail(FailureKind::auth, 401), now, 0.5, now + 2h);
    CHECK(held.kind == RunStep::Kind::resend);
    CHECK(held.at == submit_deadline(r.slot, job().settings->catchup_window) + 1ms);
    CHECK(held.update.maybe_accepted == false);
  }

  TEST_CASE("a pending answer keeps the run submitted until record_timeout, then lost") {
    auto r = run_in(RunState::submitted);
    platform::PollResult pending;
    auto step = on_poll_answer(r, job(), pending, ms("2026-01-01T10:10:00Z"), 3);
    CHECK(step.kind == RunStep::Kind::wait);
    CHECK(step.at == ms("2026-01-01T10:10:00Z") + Millis(16875));
    auto lost = on_poll_answer(r, job(), pending, ms("2026-01-01T10:30:01Z"), 30);
    CHECK(lost.to == RunState::lost);
  }

  TEST_CASE("a running record moves the run to running, and run_timeout ends it") {
    auto step = on_poll_answer(run_in(RunState::submitted), job(), poll_record("INPROCESS"),
                               ms("2026-01-01T10:00:10Z"), 1);
    CHECK(step.to == RunState::running);
    CHECK(step.update.execution_id == "execution-1");
    CHECK(step.update.remote_status == "INPROCESS");
    auto still = on_poll_answer(run_in(RunState::running), job(), poll_record("ENQUEUED"),
                                ms("2026-01-01T11:00:00Z"), 5);
    CHECK(still.kind == RunStep::Kind::wait);
    auto late = on_poll_answer(run_in(RunState::running), job(), poll_record("WHATEVER"),
                               ms("2026-01-01T22:00:10Z"), 50);
    CHECK(late.to == RunState::timed_out);
  }

  TEST_CASE("every terminal status maps to its state with the message and counts") {
    auto now = ms("2026-01-01T10:01:00Z");
    auto r = run_in(RunState::running);
    CHECK(on_poll_answer(r, job(), poll_record("COMPLETE"), now, 2).to == RunState::complete);
    CHECK(on_poll_answer(r, job(), poll_record("COMPLETE_WARN"), now, 2).to ==
          RunState::complete_warn);
    CHECK(on_poll_answer(r, job(), poll_record("ABORTED"), now, 2).to == RunState::aborted);
    CHECK(on_poll_answer(r, job(), poll_record("DISCARDED"), now, 2).to == RunState::discarded);
    auto err = on_poll_answer(r, job(), poll_record("ERROR"), now, 2);
    CHECK(err.to == RunState::error);
    CHECK(err.update.message == "Map failed");
    CHECK(err.update.inbound_documents == 3);
    CHECK(err.event == RunEvent::finished);
    CHECK(on_poll_answer(r, job(), poll_record("ABORTED_RECOVERING"), now, 2).kind ==
          RunStep::Kind::wait);
  }

  TEST_CASE("a gone async result switches to reconciling, a throttled poll waits longer") {
    auto r = run_in(RunState::submitted);
    platform::PollResult gone;
    gone.kind = platform::PollResult::Kind::gone;
    CHECK(on_poll_answer(r, job(), gone, ms("2026-01-01T10:01:00Z"), 1).kind ==
          RunStep::Kind::reconcile);
    auto e = fail(FailureKind::throttled, 503);
    e.retry_after = 2min;
    auto t = on_poll_answer(r, job(), e, ms("2026-01-01T10:01:00Z"), 1);
    CHECK(t.kind == RunStep::Kind::wait);
    CHECK(t.at == ms("2026-01-01T10:03:00Z"));
    CHECK(on_poll_answer(r, job(), fail(FailureKind::permanent, 403), ms("2026-01-01T10:01:00Z"), 1)
              .to == RunState::error);
  }

  TEST_CASE("reconciling matches the earliest unclaimed record after the request left") {
    auto r = run_in(RunState::submitting);
    std::vector<platform::ExecutionRecord> recs = {record("COMPLETE", "execution-old"),
                                                   record("INPROCESS", "execution-a"),
                                                   record("INPROCESS", "execution-b")};
    recs[0].execution_time = *parse_instant("2026-01-01T09:00:00Z");
    recs[1].execution_time = *parse_instant("2026-01-01T10:00:03Z");
    recs[2].execution_time = *parse_instant("2026-01-01T10:00:02Z");
    CHECK(match_record(r, job(), recs, {})->execution_id == "execution-b");
    CHECK(match_record(r, job(), recs, {"execution-b"})->execution_id == "execution-a");
    CHECK_FALSE(match_record(r, job(), recs, {"execution-a", "execution-b"}));
    r.execution_id = "execution-old";
    CHECK(match_record(r, job(), recs, {})->execution_id == "execution-old");
    auto q = reconcile_query(run_in(RunState::submitting), job(), ms("2026-01-01T10:05:00Z") + Millis(500));
    CHECK(q.process_id == "p-1");
    CHECK(q.from == *parse_instant("2026-01-01T09:58:00Z"));
    CHECK(q.to == *parse_instant("2026-01-01T10:07:01Z"));
  }

  TEST_CASE("reconciling never credits a run with a record executed before its send") {
    // A manual run 90 s before, and a slow earlier request's record 1.8 s before the send.
    auto r = run_in(RunState::submitting);
    r.last_sent_at = ms("2026-01-01T10:00:00Z") + Millis(846);
    std::vector<platform::ExecutionRecord> recs = {record("COMPLETE", "execution-manual"),
                                                   record("COMPLETE", "execution-slow"),
                                                   record("COMPLETE", "execution-mine")};
    recs[0].execution_time = *parse_instant("2026-01-01T09:58:30Z");
    recs[1].execution_time = *parse_instant("2026-01-01T09:59:59Z");
    recs[2].execution_time = *parse_instant("2026-01-01T10:00:02Z");
    auto skewed = recs;
    skewed.pop_back();
    CHECK(match_record(r, job(), skewed, {})->execution_id == "execution-slow");  // within skew
    skewed.erase(skewed.begin() + 1);
    CHECK_FALSE(match_record(r, job(), skewed, {}));  // 90 s early: never ours
    // The earlier run that sent the slow request may own any record in its window: it wins,
    // and this run waits until it is tied to its record (claimed) or ends.
    auto earlier = run_in(RunState::submitting);
    earlier.maybe_accepted = true;
    earlier.last_sent_at = ms("2026-01-01T09:59:58Z");
    REQUIRE(may_own_unmatched_record(earlier));
    std::vector<MatchWindow> rivals = {match_window(earlier, job())};
    CHECK_FALSE(match_record(r, job(), recs, {}, rivals));
    CHECK(match_record(r, job(), recs, {"execution-slow"})->execution_id == "execution-mine");
    CHECK(match_window(earlier, job()).contains(*parse_instant("2026-01-01T09:59:53Z")));
    CHECK_FALSE(match_window(earlier, job()).contains(*parse_instant("2026-01-01T09:59:52Z")));
    // A record with no execution time is never taken by a guess.
    recs = {record("COMPLETE", "execution-untimed")};
    recs[0].execution_time.reset();
    CHECK_FALSE(match_record(r, job(), recs, {}));
  }

  TEST_CASE("a run whose request surely failed or whose record is known rivals no one") {
    auto r = run_in(RunState::submitting);
    r.maybe_accepted = false;
    CHECK_FALSE(may_own_unmatched_record(r));
    r.maybe_accepted = true;
    CHECK(may_own_unmatched_record(r));
    r.execution_id = "execution-1";
    CHECK_FALSE(may_own_unmatched_record(r));
    CHECK(may_own_unmatched_record(run_in(RunState::submitted)));
    CHECK_FALSE(may_own_unmatched_record(run_in(RunState::scheduled)));
  }

  TEST_CASE("recent finishes: runs finished from 4 min before the send, slots back by every wait") {
    auto j = job();
    j.edit_settings().catchup_window = 1h;
    j.edit_settings().record_timeout = 30min;
    j.edit_settings().run_timeout = 2h;
    auto recent = recent_finishes(j, ms("2026-01-01T10:00:00.500Z"));
    CHECK(recent.finished_since == ms("2026-01-01T09:56:00.500Z"));
    CHECK(SysMillis(recent.slot_since) == ms("2026-01-01T06:26:00Z"));  // 3 h 30 min earlier
  }

  TEST_CASE("a later run blocks a reconciling run's match only while it learns its record by request") {
    auto me = run_in(RunState::submitting);
    me.id = 1;
    me.maybe_accepted = true;
    me.last_sent_at = ms("2026-01-01T10:00:00Z");
    auto later = run_in(RunState::submitting);
    later.id = 2;
    later.maybe_accepted = true;
    later.last_sent_at = ms("2026-01-01T10:05:00Z");
    CHECK(blocks_match(me, later, RunAction::submit));      // its request is in flight
    CHECK_FALSE(blocks_match(me, later, RunAction::query));  // its answer was lost too
    later.state = RunState::submitted;
    later.request_id = "executionrecord-2";
    CHECK(blocks_match(me, later, RunAction::poll));    // it polls by requestId
    CHECK_FALSE(blocks_match(me, later, RunAction::query));  // its result expired
    later.execution_id = "execution-2";
    CHECK_FALSE(blocks_match(me, later, RunAction::poll));  // tied: its id is claimed instead
    // An earlier send blocks whatever it does, while it may own a record; a run never blocks
    // itself, and a run whose request surely failed blocks no one.
    CHECK(blocks_match(later, me, RunAction::query));
    CHECK_FALSE(blocks_match(me, me, RunAction::poll));
    me.maybe_accepted = false;
    CHECK_FALSE(blocks_match(later, me, RunAction::query));
  }

  TEST_CASE("a record found by reconciling is labelled as matched by query, by polling as by request") {
    auto r = run_in(RunState::submitting);
    std::vector<platform::ExecutionRecord> recs = {record("INPROCESS")};
    CHECK(on_reconcile_answer(r, job(), recs, {}, ms("2026-01-01T10:01:00Z"), 1).update.matched_by ==
          "query");
    auto polled = on_poll_answer(run_in(RunState::submitted), job(), poll_record("INPROCESS"),
                                 ms("2026-01-01T10:01:00Z"), 1);
    CHECK(polled.update.matched_by == "request");
  }

  TEST_CASE("an uncertain trigger found by reconciling continues, not found ends unknown") {
    auto r = run_in(RunState::submitting);
    std::vector<platform::ExecutionRecord> recs = {record("INPROCESS")};
    auto found = on_reconcile_answer(r, job(), recs, {}, ms("2026-01-01T10:01:00Z"), 1);
    CHECK(found.to == RunState::running);
    CHECK(found.update.execution_id == "execution-1");
    std::vector<platform::ExecutionRecord> none;
    auto again = on_reconcile_answer(r, job(), none, {}, ms("2026-01-01T10:10:00Z"), 1);
    CHECK(again.kind == RunStep::Kind::wait);
    auto unknown = on_reconcile_answer(r, job(), none, {}, ms("2026-01-01T10:30:00Z"), 9);
    CHECK(unknown.to == RunState::unknown);
    CHECK(unknown.update.last_error->find("not resent") != std::string::npos);
  }
}
