// The tracker's choices that are decisions (decisions.h, "the tracker's choices"): the action
// of a resumed run, the queue hold after a restart, the deadline and auth-circuit steps (and
// exec's end on a 401).
#include "daemon/core/decisions.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::core;
using storage::RunState;
using std::chrono::seconds;

namespace {

SysMillis t(int s) { return SysMillis(seconds(1'800'000'000 + s)); }

storage::RunRow row(RunState state) {
  storage::RunRow r;
  r.id = 3;
  r.job = "orders";
  r.state = state;
  return r;
}

}  // namespace

TEST_SUITE("core::decisions") {
  TEST_CASE("a resumed run is sent, reconciled or polled by what its row proves") {
    CHECK(resume_action(row(RunState::scheduled)) == RunAction::submit);
    auto sending = row(RunState::submitting);
    sending.maybe_accepted = true;
    CHECK(resume_action(sending) == RunAction::query);  // never sent twice
    sending.maybe_accepted = false;
    CHECK(resume_action(sending) == RunAction::submit);  // surely failed: sent again
    auto submitted = row(RunState::submitted);
    CHECK(resume_action(submitted) == RunAction::query);  // no requestId to poll
    submitted.request_id = "executionrecord-1";
    CHECK(resume_action(submitted) == RunAction::poll);
    CHECK(to_string(RunAction::query) == "reconcile");
  }

  TEST_CASE("after a restart a scheduled run of a queue job waits only behind a run sent") {
    CHECK(stays_queued(row(RunState::scheduled), config::Overlap::queue, true));
    CHECK_FALSE(stays_queued(row(RunState::scheduled), config::Overlap::queue, false));
    CHECK_FALSE(stays_queued(row(RunState::scheduled), config::Overlap::allow, true));
    CHECK_FALSE(stays_queued(row(RunState::submitted), config::Overlap::queue, true));
  }

  TEST_CASE("a deadline passed before sending is missed, or submit_failed after failed attempts") {
    auto never_sent = deadline_passed(row(RunState::scheduled));
    CHECK(never_sent.to == RunState::missed);
    CHECK(never_sent.event == RunEvent::finished);
    auto failed = row(RunState::submitting);
    failed.last_error = "HTTP 503";
    auto step = deadline_passed(failed);
    CHECK(step.to == RunState::submit_failed);
    REQUIRE(step.update.last_error);
    CHECK(step.update.last_error->find("last error: HTTP 503") != std::string::npos);
    REQUIRE(step.update.next_action_at);
    CHECK_FALSE(*step.update.next_action_at);
  }

  TEST_CASE("a run held by the auth circuit takes its attempt back and waits, never past its deadline") {
    CHECK(auth_wait_until(t(10), t(60)) == t(10));
    CHECK(auth_wait_until(t(100), t(60)) == t(60) + Millis(1));  // then the deadline ends it
    auto sending = row(RunState::submitting);
    sending.attempts = 2;
    auto step = auth_hold(sending, t(10), t(60));
    CHECK(step.kind == RunStep::Kind::resend);
    CHECK(step.at == t(10));
    CHECK(step.update.attempts == 1);
    CHECK(step.update.maybe_accepted == false);  // it never left
    CHECK_FALSE(step.to);
  }

  TEST_CASE("a sender without an auth circuit ends a refused run as submit_failed, never resent") {
    platform::CallError e;
    e.kind = platform::FailureKind::auth;
    e.http_status = 401;
    e.message = "Unauthorized";
    auto step = on_auth_refused(e, t(3));
    CHECK(step.kind == RunStep::Kind::transition);
    CHECK(step.to == RunState::submit_failed);
    CHECK(storage::is_legal_transition(RunState::submitting, *step.to));
    CHECK(step.at == t(3));
    CHECK(step.event == RunEvent::finished);
    CHECK(step.update.last_error == std::optional<std::string>("auth failed: HTTP 401: Unauthorized"));
    CHECK(step.update.maybe_accepted == false);  // a 401 proves nothing was accepted
    REQUIRE(step.update.next_action_at);
    CHECK_FALSE(*step.update.next_action_at);  // nothing more to do
  }
}
