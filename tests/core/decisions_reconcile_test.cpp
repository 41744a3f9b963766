// How often a run that is looked for through the query API is queried.
#include "daemon/core/decisions.h"

#include <doctest/doctest.h>

#include <vector>

using namespace bsched;
using namespace bsched::core;
using storage::RunState;
using namespace std::chrono_literals;

namespace {

SysMillis ms(const char* iso) { return SysMillis(*parse_instant(iso)); }

config::Job job(Millis initial, Millis max, Millis record_timeout = 30min) {
  config::Job j;
  j.name = "orders";
  j.process_id = "p-1";
  j.edit_settings().atom_id = "a-1";
  j.edit_settings().poll = {initial, max};
  j.edit_settings().record_timeout = record_timeout;
  return j;
}

storage::RunRow uncertain_run() {
  storage::RunRow r;
  r.id = 7;
  r.job = "orders";
  r.slot = *parse_instant("2026-01-01T10:00:00Z");
  r.state = RunState::submitting;
  r.attempts = 1;
  r.created_at = ms("2026-01-01T10:00:00Z");
  r.submitting_at = r.last_sent_at = ms("2026-01-01T10:00:00Z");
  r.maybe_accepted = true;
  return r;
}

// The instants of the queries made for `run` from `first` on while every answer is empty,
// until `until` or until the run ends.
std::vector<SysMillis> queries_until(const storage::RunRow& run, const config::Job& j,
                                     SysMillis first, SysMillis until) {
  std::vector<SysMillis> at;
  const std::vector<platform::ExecutionRecord> none;
  SysMillis now = first;
  for (int polls = 0; now <= until && polls < 1000; ++polls) {
    at.push_back(now);
    auto step = on_reconcile_answer(run, j, none, {}, now, polls);
    if (step.to) break;  // ended
    REQUIRE(step.at > now);
    now = step.at;
  }
  return at;
}

}  // namespace

TEST_SUITE("core::decisions reconcile spacing") {
  TEST_CASE("a lost run is not queried once a second: the waits grow like polls") {
    // Regression: one run was queried about once a second for 14 s (15 empty answers).
    auto j = job(1s, 60s);
    auto run = uncertain_run();
    auto at = queries_until(run, j, ms("2026-01-01T10:00:01Z"), ms("2026-01-01T10:00:15Z"));
    CHECK(at.size() <= 6);
    for (std::size_t i = 2; i < at.size(); ++i) CHECK(at[i] - at[i - 1] >= at[i - 1] - at[i - 2]);
    CHECK(at[1] - at[0] >= 1s);
  }

  TEST_CASE("the wait is at least poll.initial and at most poll.max") {
    auto j = job(5s, 60s);
    auto run = uncertain_run();
    auto wait = [&](const char* at, double jitter = 0.5) {
      const std::vector<platform::ExecutionRecord> none;
      return on_reconcile_answer(run, j, none, {}, ms(at), 3, jitter).at - ms(at);
    };
    CHECK(wait("2026-01-01T10:00:01Z") == 5s);
    CHECK(wait("2026-01-01T10:00:30Z") == 15s);
    CHECK(wait("2026-01-01T10:20:00Z") == 60s);
    // Jitter moves it by at most 10% either way.
    CHECK(wait("2026-01-01T10:00:30Z", 0.0) == 13500ms);
    CHECK(wait("2026-01-01T10:00:30Z", 1.0) == 16500ms);
  }

  TEST_CASE("a run reconciled long after its send (a restart) starts at the long wait") {
    auto j = job(1s, 60s);
    auto run = uncertain_run();
    // The answer count starts over after a restart; the wait does not.
    auto step = on_reconcile_answer(run, j, std::vector<platform::ExecutionRecord>{}, {}, ms("2026-01-01T10:05:00Z"), 0);
    CHECK(step.at - ms("2026-01-01T10:05:00Z") == 60s);
  }

  TEST_CASE("the last wait stops at the end of the record window, which ends the run on time") {
    auto j = job(5s, 60s, 2min);
    auto run = uncertain_run();
    const auto window_end = ms("2026-01-01T10:02:00Z");
    auto late = ms("2026-01-01T10:01:50Z");
    const std::vector<platform::ExecutionRecord> none;
    CHECK(on_reconcile_answer(run, j, none, {}, late, 5).at == window_end);
    auto at = queries_until(run, j, ms("2026-01-01T10:00:01Z"), ms("2026-01-01T10:10:00Z"));
    REQUIRE(!at.empty());
    CHECK(at.back() == window_end);
    auto last = on_reconcile_answer(run, j, std::vector<platform::ExecutionRecord>{}, {}, at.back(), 9);
    CHECK(last.to == RunState::unknown);
  }

  TEST_CASE("a failed query waits as long as an empty answer") {
    auto j = job(1s, 60s);
    auto run = uncertain_run();
    platform::CallError e;
    e.kind = platform::FailureKind::retry_later;
    e.message = "503";
    auto now = ms("2026-01-01T10:00:20Z");
    auto step = on_reconcile_answer(run, j, e, {}, now, 3);
    CHECK(step.event == RunEvent::poll_failed);
    CHECK(step.at - now == 10s);
  }
}
