// Pure decisions of the run tracker (product.md §4): overlap, poll pacing, submit retries
// and deadlines, and what each platform answer means for a run. Functions of their inputs
// and "now" only; randomness comes in as a number in [0, 1) so tests fix it.
#pragma once

#include "config/config.h"
#include "base/time_util.h"
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

// What a step tells the log (one event line each; none: the step is not logged).
enum class RunEvent {
  none,         // a quiet step (the next poll's instant)
  submitted,    // run.submitted: a requestId came back
  running,      // run.running: the record was seen, not finished
  finished,     // run.finished: the run reached a terminal state
  retry,        // run.retry: a trigger surely failed and is sent again later
  reconcile,    // run.reconcile: the run is looked for through the query API
  poll_failed,  // run.poll_failed: a poll or a reconcile query failed; tried again later
};

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
  RunEvent event = RunEvent::none;
};

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

// A sender without an auth circuit (`boomi-sched exec`: nobody probes the credentials later,
// and repeated 401s can lock the account) ends a run whose request was refused with a 401:
// submit_failed, nothing accepted, the error kept as on_submit_answer words it.
RunStep on_auth_refused(const platform::CallError& error, SysMillis now);

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

// A record executed this much before our send can still be ours (the platform's clock may
// be behind ours); a record executed earlier than that was started by someone else.
inline constexpr Millis k_match_skew = 5s;

// The executionTime range of a record that a run without an execution id may claim:
// [sent - k_match_skew, sent + record_timeout + k_match_skew].
struct MatchWindow {
  SysMillis from{};
  SysMillis to{};
  bool contains(sys_seconds t) const { return SysMillis(t) >= from && SysMillis(t) <= to; }
};
MatchWindow match_window(const storage::RunRow& run, const config::Job& job);

// Where to look for the records of runs that already finished, which a reconcile of `job`'s
// run sent at `sent` may meet: its runs that finished at or after `finished_since` (a record
// is executed before its run finishes), among those with a slot at or after `slot_since` (a
// run is sent at most its catch-up window after its slot, or, queued, once the run before it
// ended, which record_timeout and run_timeout bound). The daemon's recovery and `exec` both
// claim these execution ids again.
struct RecentFinishes {
  sys_seconds slot_since{};
  SysMillis finished_since{};
};
RecentFinishes recent_finishes(const config::Job& job, SysMillis sent);

// A run in flight that may yet be tied to a record it started and has not been tied to one:
// its request may have been accepted (submitting) or was (submitted), and no execution id is
// known. Such a run sent before another has the first right to a record in both windows.
bool may_own_unmatched_record(const storage::RunRow& run);

// The record that belongs to `run` among `records`: the one with the run's execution id when
// it is known. Otherwise the earliest record inside the run's match window whose execution
// id is not in `claimed` (held by other runs) and that lies in none of `rivals` (the match
// windows of the runs that block this one, blocks_match: this run waits until they are tied
// or ended). nullopt: not found (yet).
std::optional<platform::ExecutionRecord> match_record(
    const storage::RunRow& run, const config::Job& job,
    const std::vector<platform::ExecutionRecord>& records, const std::set<std::string>& claimed,
    const std::vector<MatchWindow>& rivals = {});

// What a reconcile answer means: found -> on_record; not found -> keep looking until the
// run's record_timeout has passed since the request was sent, then the run ends (submitting
// -> unknown, submitted -> lost, running -> timed_out once run_timeout passes); errors wait.
// A record tied this way is stored with matched_by "query".
RunStep on_reconcile_answer(
    const storage::RunRow& run, const config::Job& job,
    const platform::CallResult<std::vector<platform::ExecutionRecord>>& answer,
    const std::set<std::string>& claimed, SysMillis now, int polls, double jitter = 0.5,
    const std::vector<MatchWindow>& rivals = {});

// ---- the tracker's choices ------------------------------------------------------------

// What a tracker does with a run when the run is due.
enum class RunAction {
  submit,  // send the ExecutionRequest (first time or again after a sure failure)
  poll,    // poll the async result by requestId
  query,   // find the record through the query API (uncertain trigger, expired result)
};
std::string_view to_string(RunAction action);  // "submit", "poll", "reconcile"

// Whether `other` (a run of the same process and runtime, doing `other_mode`) keeps `run`,
// which reconciles without an execution id, from taking a record in other's match window.
// It does when `other` may own an unmatched record and either was sent first (the earlier
// send wins a record both could claim) or will learn its own record exactly: its request is
// in flight or it polls by requestId (a later run's record must not go to an earlier run
// whose request perhaps never arrived). Neither rule waits forever: a poll ends with the
// record, an expired result (the run then reconciles, later than `run`) or record_timeout.
bool blocks_match(const storage::RunRow& run, const storage::RunRow& other,
                  RunAction other_mode);

// The action of a run resumed after a restart: a scheduled run is sent; a `submitting` run
// whose request may have been accepted is only ever reconciled, one that surely failed is
// sent again; a later run is polled with its requestId, or reconciled without one.
RunAction resume_action(const storage::RunRow& run);

// After a restart, whether a scheduled run of a queue job stays queued: it does while
// another run of its job (`other_sent`: one past `scheduled`) is in flight.
bool stays_queued(const storage::RunRow& run, config::Overlap overlap, bool other_sent);

// The step of a run whose deadline passed before its trigger left: `missed` when nothing was
// ever sent, `submit_failed` after attempts that surely failed (their last error kept).
RunStep deadline_passed(const storage::RunRow& run);

// While the auth circuit is open (no probe before `retry_at`), a run that has not written
// its attempt looks again at this instant (never past its deadline, so that it then ends).
SysMillis auth_wait_until(SysMillis retry_at, SysMillis deadline);

// The step of a run whose attempt was committed while the auth circuit opened (an earlier
// request of the same turn got a 401): the attempt is taken back, not sent, and the run is
// sent again once the circuit lets a probe through.
RunStep auth_hold(const storage::RunRow& run, SysMillis retry_at, SysMillis deadline);

}  // namespace bsched::core
