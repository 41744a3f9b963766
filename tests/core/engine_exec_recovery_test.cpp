// Runs that `boomi-sched exec` left in flight (no --wait, an uncertain trigger, a wait cut
// short) are picked up by the daemon's recovery at its next start and tracked to their end,
// as the runs it sent itself: polled by their requestId, or reconciled, never sent again.
#include "tests/core/engine_harness.h"

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using storage::Trigger;
using std::chrono::seconds;

namespace {

// An exec run as exec leaves it: created `submitting` (its request counted) and, with
// `request_id`, accepted (`submitted`).
storage::RunRow leave_exec_run(EngineHarness& h, const std::string& job, const char* at,
                               const std::string& request_id) {
  storage::NewRun n{"exec-" + job, job, Trigger::exec, instant(at), "{}"};
  n.submitting = true;
  auto row = h.store->create_run(n, SysMillis(instant(at)));
  REQUIRE(row.has_value());
  if (request_id.empty()) return *row;
  storage::RunUpdate accepted;
  accepted.request_id = request_id;
  accepted.next_action_at = std::optional<SysMillis>(SysMillis(instant(at)) + seconds(1));
  auto submitted =
      h.store->transition(row->id, RunState::submitted, SysMillis(instant(at)), accepted);
  REQUIRE(submitted.has_value());
  return *submitted;
}

}  // namespace

TEST_SUITE("core::engine") {
  TEST_CASE("an exec run left submitted is polled to its end by the daemon's next start") {
    EngineHarness h("2026-01-05T10:00:00Z");
    leave_exec_run(h, "orders", "2026-01-05T09:59:30Z", "executionrecord-exec");
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    h.advance(seconds(5));
    CHECK(h.client.submits.empty());  // never sent again
    CHECK(std::count(h.client.polls.begin(), h.client.polls.end(), "executionrecord-exec") >= 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].trigger == Trigger::exec);
    CHECK(runs[0].state == RunState::complete);
    CHECK_FALSE(runs[0].execution_id.empty());
    CHECK(runs[0].finished_at.has_value());
  }

  TEST_CASE("an exec trigger whose outcome was uncertain is reconciled, never sent again") {
    EngineHarness h("2026-01-05T10:00:00Z");
    leave_exec_run(h, "orders", "2026-01-05T09:59:30Z", "");
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    h.advance(seconds(5));
    CHECK(h.client.submits.empty());
    REQUIRE_FALSE(h.client.queries.empty());
    CHECK(h.client.queries[0].process_id == "process-orders");
    CHECK(h.runs("orders")[0].trigger == Trigger::exec);
  }
}
