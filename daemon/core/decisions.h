// Pure decisions of the run tracker (product.md §4): overlap, poll pacing, submit retries
// and deadlines, and what each platform answer means for a run. Functions of their inputs
// and "now" only; randomness comes in as a number in [0, 1) so tests fix it.
#pragma once

#include "config/config.h"
#include "config/time_util.h"
#include "daemon/platform/platform_client.h"
#include "storage/run_store.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::core {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

// ---- overlap --------------------------------------------------------------------------

enum class OverlapAction {
  fire,   // submit the slot now
  skip,   // record the slot as skipped (reason says why)
  queue,  // keep the slot waiting; it fires when the earlier run ends
};

struct OverlapDecision {
  OverlapAction action = OverlapAction::fire;
  std::string reason;  // for skip: "overlap: run 812 in flight"
};

// `in_flight` is the row id of the job's oldest non-terminal run (none: nothing in flight);
// `queued` tells whether a slot already waits. `queue` keeps at most one waiting slot: a
// further slot is skipped while one waits (the first waiting slot keeps its place).
OverlapDecision decide_overlap(config::Overlap policy, std::optional<std::int64_t> in_flight,
                               bool queued);

// ---- polling --------------------------------------------------------------------------

inline constexpr double k_poll_growth = 1.5;

// The delay before poll number `n` (0 = the first poll after the requestId arrived):
// initial × 1.5^n, capped at max. `jitter` in [0, 1) spreads it by up to ±10% (0.5 = none).
Millis poll_delay(const config::PollPolicy& policy, int n, double jitter = 0.5);

// ---- submit retries -------------------------------------------------------------------

// A trigger may always leave at least this long after its slot (catchup_window 0 included).
inline constexpr Millis k_min_submit_window = 5s;

// The slot's deadline: the last instant a trigger for it may still be sent. A slot may fire
// at most catchup_window late, so its deadline is slot + max(catchup_window, 5 s); a manual
// run's "slot" is the instant it was requested. Retries and auth waits never go past it.
SysMillis submit_deadline(sys_seconds slot, Millis catchup_window);

struct RetryDecision {
  bool retry = false;  // false: give up (submit_failed)
  SysMillis at{};      // when to send again (retry only)
  std::string reason;  // why we gave up ("retry budget spent (5 attempts)", "deadline passed")
};

// After `attempts_made` requests (≥ 1) all failed for sure: full-jitter exponential backoff
// (a random delay in [0, min(max, initial × 2^(attempts_made-1))], at least 100 ms),
// honouring the platform's Retry-After, never past the deadline and never beyond the
// policy's attempts.
RetryDecision decide_submit_retry(const config::RetryPolicy& policy, int attempts_made,
                                  SysMillis now, SysMillis deadline, double random01,
                                  std::optional<Millis> retry_after = std::nullopt);

// ---- answers --------------------------------------------------------------------------

// What the tracker does next with a run.
struct RunStep {
  enum class Kind {
    wait,        // stay in the state; act again at `at` (next poll / retry)
    transition,  // move to `to` (terminal or not); act again at `at` if not terminal
    reconcile,   // find the run through the query API (uncertain trigger, expired result)
    resend,      // submit again at `at` (the previous request surely failed)
  };
  Kind kind = Kind::wait;
  std::optional<storage::RunState> to;
  storage::RunUpdate update;  // fields to store with the step
  SysMillis at{};             // next action (wait / resend / non-terminal transition / reconcile)
  std::string event;          // the log event name, e.g. "run.running", "run.retry"
};

// last_error prefix marking a `submitting` run whose trigger may have been accepted: on
// recovery such a run is reconciled, never resent.
inline constexpr std::string_view k_uncertain_prefix = "uncertain: ";

// The run state a platform status word ends in; nullopt for non-terminal words
// (STARTED, INPROCESS, ENQUEUED, ABORTED_RECOVERING and any unknown word).
std::optional<storage::RunState> terminal_state_for(std::string_view status);

// The fields of a record worth storing (execution id, status, message, counts).
storage::RunUpdate record_update(const platform::ExecutionRecord& record);

// What a submit answer means for a `submitting` run. `attempts_made` counts the request just
// answered; `random01` feeds the retry jitter; `auth_retry_at` is the client's next probe.
RunStep on_submit_answer(const storage::RunRow& run, const config::Job& job,
                         const platform::CallResult<platform::SubmitResult>& answer,
                         SysMillis now, double random01,
                         std::optional<SysMillis> auth_retry_at = std::nullopt);

// What a poll answer means for a `submitted` or `running` run; `polls` counts the polls
// answered so far for this run (drives the poll delay).
RunStep on_poll_answer(const storage::RunRow& run, const config::Job& job,
                       const platform::CallResult<platform::PollResult>& answer, SysMillis now,
                       int polls, double jitter = 0.5);

// A record the platform reports (poll or reconcile) applied to a run in any non-terminal
// state: running, or the terminal state of its status; timeouts checked.
RunStep on_record(const storage::RunRow& run, const config::Job& job,
                  const platform::ExecutionRecord& record, SysMillis now, int polls,
                  double jitter = 0.5);

// ---- reconciliation -------------------------------------------------------------------

// Platform and local clocks may disagree by this much; the query window is widened by it.
inline constexpr Millis k_reconcile_margin = 2min;

// When the latest request for this run left: last_sent_at, else submitting_at, else
// created_at.
SysMillis sent_at(const storage::RunRow& run);

// The executionTime window to query for a run: [sent_at - margin, now + margin].
platform::RecordQuery reconcile_query(const storage::RunRow& run, const config::Job& job,
                                      SysMillis now);

// The record that belongs to `run` among `records`: the one with the run's execution id
// when it is known; else the earliest record executed at or after (sent - margin) whose
// execution id is not in `claimed` (ids already held by other runs). nullopt: not found.
std::optional<platform::ExecutionRecord> match_record(
    const storage::RunRow& run, const std::vector<platform::ExecutionRecord>& records,
    const std::set<std::string>& claimed);

// What a reconcile answer means: found -> on_record; not found -> keep looking until the
// run's record_timeout has passed since the request was sent, then the run ends (submitting
// -> unknown, submitted -> lost, running -> timed_out once run_timeout passes); errors wait.
RunStep on_reconcile_answer(
    const storage::RunRow& run, const config::Job& job,
    const platform::CallResult<std::vector<platform::ExecutionRecord>>& answer,
    const std::set<std::string>& claimed, SysMillis now, int polls, double jitter = 0.5);

}  // namespace bsched::core
