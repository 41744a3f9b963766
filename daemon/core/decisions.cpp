// The run tracker's pure decisions; see decisions.h.
#include "daemon/core/decisions.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace bsched::core {

namespace {

using storage::RunState;
using Kind = RunStep::Kind;

std::string describe(const platform::CallError& e) {
  if (e.http_status == 0) return e.message;
  return fmt::format("HTTP {}: {}", e.http_status, e.message);
}

RunStep wait_until(SysMillis at, RunEvent event = RunEvent::none) {
  RunStep step;
  step.kind = Kind::wait;
  step.at = at;
  step.update.next_action_at = std::optional<SysMillis>(at);
  step.event = event;
  return step;
}

RunStep finish(RunState to, std::string last_error, SysMillis now) {
  RunStep step;
  step.kind = Kind::transition;
  step.to = to;
  step.at = now;
  if (!last_error.empty()) step.update.last_error = std::move(last_error);
  step.update.next_action_at = std::optional<SysMillis>();
  step.event = RunEvent::finished;
  return step;
}

bool run_timed_out(const storage::RunRow& run, const config::Job& job, SysMillis now) {
  return run.state == RunState::running && run.running_at &&
         now - *run.running_at >= job.settings->run_timeout;
}

RunStep timed_out(const config::Job& job, SysMillis now) {
  return finish(RunState::timed_out,
                fmt::format("no terminal status within run_timeout ({})",
                            format_duration(job.settings->run_timeout)),
                now);
}

// What a sure failure (the answer proves the request was not accepted) does to the run.
RunStep on_sure_failure(const storage::RunRow& run, const config::Job& job,
                        const platform::CallError& e, SysMillis now, double random01,
                        std::optional<SysMillis> auth_retry_at) {
  using platform::FailureKind;
  auto deadline = submit_deadline(run.slot, job.settings->catchup_window);
  if (e.kind == FailureKind::permanent) return finish(RunState::rejected, describe(e), now);
  if (e.kind == FailureKind::auth) {
    // Held until the circuit lets a probe through or new credentials arrive (the engine
    // wakes held runs on a reload), at the latest until just past the deadline, when the
    // run ends as submit_failed with this error.
    auto at = std::max(auth_retry_at.value_or(now + job.settings->poll.max), now + 1s);
    at = std::min(at, deadline + 1ms);
    auto step = wait_until(at, RunEvent::retry);
    step.kind = Kind::resend;
    step.update.last_error = "auth failed: " + describe(e);
    return step;
  }
  auto retry = decide_submit_retry(job.settings->submit_retry, std::max(run.attempts, 1), now,
                                   deadline, random01, e.retry_after);
  if (!retry.retry) return finish(RunState::submit_failed, describe(e) + "; " + retry.reason, now);
  auto step = wait_until(retry.at, RunEvent::retry);
  step.kind = Kind::resend;
  step.update.last_error = describe(e);
  return step;
}

RunStep on_submit_failure(const storage::RunRow& run, const config::Job& job,
                          const platform::CallError& e, SysMillis now, double random01,
                          std::optional<SysMillis> auth_retry_at) {
  using platform::FailureKind;
  bool answered_2xx = e.http_status >= 200 && e.http_status < 300;
  if (e.kind == FailureKind::uncertain || (e.kind == FailureKind::bad_response && answered_2xx)) {
    RunStep step;
    step.kind = Kind::reconcile;
    step.at = now + job.settings->poll.initial;
    // maybe_accepted stays set (it was stored with the request): only reconciled from now on.
    step.update.last_error = "trigger outcome uncertain: " + describe(e);
    step.update.next_action_at = std::optional<SysMillis>(step.at);
    step.event = RunEvent::reconcile;
    return step;
  }
  auto step = on_sure_failure(run, job, e, now, random01, auth_retry_at);
  step.update.maybe_accepted = false;  // nothing was accepted
  return step;
}
}  // namespace

SysMillis sent_at(const storage::RunRow& run) {
  if (run.last_sent_at) return *run.last_sent_at;
  if (run.submitting_at) return *run.submitting_at;
  return run.created_at;
}

OverlapDecision decide_overlap(config::Overlap policy, std::optional<std::int64_t> in_flight,
                               bool queued) {
  if (!in_flight || policy == config::Overlap::allow) return {OverlapAction::fire, {}};
  if (policy == config::Overlap::queue && !queued) return {OverlapAction::queue, {}};
  auto reason = fmt::format("overlap: run {} in flight", *in_flight);
  if (policy == config::Overlap::queue) reason += ", a slot already queued";
  return {OverlapAction::skip, std::move(reason)};
}

Millis poll_delay(const config::PollPolicy& policy, int n, double jitter) {
  double ms = static_cast<double>(policy.initial.count()) * std::pow(k_poll_growth, std::max(n, 0));
  ms = std::min(ms, static_cast<double>(std::max(policy.max, policy.initial).count()));
  ms *= 1.0 + (std::clamp(jitter, 0.0, 1.0) - 0.5) * 0.2;
  return Millis(std::max<std::int64_t>(1, std::llround(ms)));
}

SysMillis submit_deadline(sys_seconds slot, Millis catchup_window) {
  return SysMillis(slot) + std::max(catchup_window, k_min_submit_window);
}

RetryDecision decide_submit_retry(const config::RetryPolicy& policy, int attempts_made,
                                  SysMillis now, SysMillis deadline, double random01,
                                  std::optional<Millis> retry_after) {
  RetryDecision d;
  if (attempts_made >= policy.attempts) {
    d.reason = fmt::format("retry budget spent ({} attempts)", attempts_made);
    return d;
  }
  double cap = static_cast<double>(policy.initial.count()) *
               std::pow(2.0, std::clamp(attempts_made - 1, 0, 40));
  cap = std::min(cap, static_cast<double>(policy.max.count()));
  auto delay = std::max(Millis(100), Millis(std::llround(std::clamp(random01, 0.0, 1.0) * cap)));
  if (retry_after) delay = std::max(delay, *retry_after);
  if (now + delay > deadline) {
    d.reason = "deadline passed (slot + catchup_window)";
    return d;
  }
  d.retry = true;
  d.at = now + delay;
  return d;
}

std::optional<RunState> terminal_state_for(std::string_view status) {
  // One mapping of the platform's words: platform::classify_status.
  using platform::RemoteStatus;
  switch (platform::classify_status(status)) {
    case RemoteStatus::complete: return RunState::complete;
    case RemoteStatus::complete_warn: return RunState::complete_warn;
    case RemoteStatus::error: return RunState::error;
    case RemoteStatus::aborted: return RunState::aborted;
    case RemoteStatus::discarded: return RunState::discarded;
    case RemoteStatus::in_progress: return std::nullopt;
  }
  return std::nullopt;
}

storage::RunUpdate record_update(const platform::ExecutionRecord& r) {
  storage::RunUpdate u;
  if (!r.execution_id.empty()) u.execution_id = r.execution_id;
  if (!r.status.empty()) u.remote_status = r.status;
  if (!r.message.empty()) u.message = r.message;
  if (r.execution_time) u.execution_time = *r.execution_time;
  if (r.execution_duration_ms) u.duration_ms = *r.execution_duration_ms;
  if (r.inbound_document_count) u.inbound_documents = *r.inbound_document_count;
  if (r.outbound_document_count) u.outbound_documents = *r.outbound_document_count;
  if (r.inbound_error_document_count) u.inbound_error_documents = *r.inbound_error_document_count;
  return u;
}

RunStep on_submit_answer(const storage::RunRow& run, const config::Job& job,
                         const platform::CallResult<platform::SubmitResult>& answer,
                         SysMillis now, double random01, std::optional<SysMillis> auth_retry_at) {
  if (!answer) return on_submit_failure(run, job, answer.error(), now, random01, auth_retry_at);
  RunStep step;
  step.kind = Kind::transition;
  step.to = RunState::submitted;
  step.at = now + poll_delay(job.settings->poll, 0);
  step.update.request_id = answer->request_id;
  step.update.next_action_at = std::optional<SysMillis>(step.at);
  step.event = RunEvent::submitted;
  return step;
}

RunStep on_auth_refused(const platform::CallError& error, SysMillis now) {
  auto step = finish(RunState::submit_failed, "auth failed: " + describe(error), now);
  step.update.maybe_accepted = false;
  return step;
}

RunStep on_record(const storage::RunRow& run, const config::Job& job,
                  const platform::ExecutionRecord& record, SysMillis now, int polls,
                  double jitter) {
  if (auto to = terminal_state_for(record.status)) {
    auto step = finish(*to, {}, now);
    auto fields = record_update(record);
    fields.next_action_at = step.update.next_action_at;
    step.update = std::move(fields);
    return step;
  }
  if (run_timed_out(run, job, now)) return timed_out(job, now);
  auto at = now + poll_delay(job.settings->poll, polls, jitter);
  RunStep step = wait_until(at);
  if (run.state != RunState::running) {
    step.kind = Kind::transition;
    step.to = RunState::running;
    step.event = RunEvent::running;
  }
  auto fields = record_update(record);
  fields.next_action_at = step.update.next_action_at;
  step.update = std::move(fields);
  return step;
}

RunStep on_poll_answer(const storage::RunRow& run, const config::Job& job,
                       const platform::CallResult<platform::PollResult>& answer, SysMillis now,
                       int polls, double jitter) {
  using platform::FailureKind;
  auto next = now + poll_delay(job.settings->poll, polls, jitter);
  if (!answer) {
    const auto& e = answer.error();
    if (run_timed_out(run, job, now)) return timed_out(job, now);
    if (e.kind == FailureKind::permanent) {
      return finish(RunState::error, "poll refused: " + describe(e), now);
    }
    if (e.retry_after) next = std::max(next, now + *e.retry_after);
    auto step = wait_until(next, RunEvent::poll_failed);
    step.update.last_error = describe(e);
    return step;
  }
  switch (answer->kind) {
    case platform::PollResult::Kind::record: {
      auto step = on_record(run, job, answer->record, now, polls, jitter);
      if (run.matched_by.empty()) step.update.matched_by = "request";
      return step;
    }
    case platform::PollResult::Kind::gone: {
      RunStep step;
      step.kind = Kind::reconcile;
      step.at = now;
      step.update.next_action_at = std::optional<SysMillis>(now);
      step.event = RunEvent::reconcile;
      return step;
    }
    case platform::PollResult::Kind::pending:
      break;
  }
  if (run_timed_out(run, job, now)) return timed_out(job, now);
  if (run.state == RunState::submitted && run.submitted_at &&
      now - *run.submitted_at >= job.settings->record_timeout) {
    return finish(RunState::lost,
                  fmt::format("no execution record within record_timeout ({})",
                              format_duration(job.settings->record_timeout)),
                  now);
  }
  return wait_until(next);
}

platform::RecordQuery reconcile_query(const storage::RunRow& run, const config::Job& job,
                                      SysMillis now) {
  platform::RecordQuery q;
  q.process_id = job.process_id;
  q.atom_id = job.settings->atom_id;
  q.from = std::chrono::floor<std::chrono::seconds>(sent_at(run) - k_reconcile_margin);
  q.to = std::chrono::ceil<std::chrono::seconds>(now + k_reconcile_margin);
  return q;
}

MatchWindow match_window(const storage::RunRow& run, const config::Job& job) {
  auto sent = sent_at(run);
  return {sent - k_match_skew, sent + job.settings->record_timeout + k_match_skew};
}

RecentFinishes recent_finishes(const config::Job& job, SysMillis sent) {
  const auto& s = *job.settings;
  auto from = sent - 2 * k_reconcile_margin;
  auto wait = s.catchup_window + s.record_timeout + s.run_timeout;
  return {std::chrono::floor<std::chrono::seconds>(from - wait), from};
}

bool may_own_unmatched_record(const storage::RunRow& run) {
  if (!run.execution_id.empty()) return false;
  return (run.state == RunState::submitting && run.maybe_accepted) ||
         run.state == RunState::submitted;
}

bool blocks_match(const storage::RunRow& run, const storage::RunRow& other,
                  RunAction other_mode) {
  if (other.id == run.id || !may_own_unmatched_record(other)) return false;
  const auto sent = sent_at(run);
  const auto other_sent = sent_at(other);
  if (other_sent < sent || (other_sent == sent && other.id < run.id)) return true;
  const bool request_in_flight =
      other_mode == RunAction::submit && other.state == RunState::submitting;
  const bool polling = other_mode == RunAction::poll && !other.request_id.empty();
  return request_in_flight || polling;
}

std::optional<platform::ExecutionRecord> match_record(
    const storage::RunRow& run, const config::Job& job,
    const std::vector<platform::ExecutionRecord>& records, const std::set<std::string>& claimed,
    const std::vector<MatchWindow>& rivals) {
  if (!run.execution_id.empty()) {
    for (const auto& r : records) {
      if (r.execution_id == run.execution_id) return r;
    }
    return std::nullopt;
  }
  auto window = match_window(run, job);
  const platform::ExecutionRecord* best = nullptr;
  for (const auto& r : records) {
    // A record without an execution time cannot be placed: never credited by a guess.
    if (r.execution_id.empty() || !r.execution_time || claimed.count(r.execution_id)) continue;
    if (!window.contains(*r.execution_time)) continue;
    auto rival = [&](const MatchWindow& w) { return w.contains(*r.execution_time); };
    if (std::any_of(rivals.begin(), rivals.end(), rival)) continue;
    if (!best || *r.execution_time < *best->execution_time) best = &r;
  }
  if (!best) return std::nullopt;
  return *best;
}

namespace {

// The wait before the next reconcile query of `run`: half the time since its request left
// (sent_at), so each wait is about 1.5 times the one before — growing like polls, but from
// the send rather than from an answer count, so a run reconciled after a restart does not
// start over fast — at least poll.initial, at most poll.max, jittered ±10%. While the record
// window (sent_at + record_timeout) is still ahead, never past its end, so the run is decided
// on time. Every query (and each queryMore page) also takes a slot of the account's pace.
Millis reconcile_delay(const storage::RunRow& run, const config::Job& job, SysMillis now,
                       double jitter) {
  const auto& poll = job.settings->poll;
  const Millis lo = poll.initial;
  const Millis hi = std::max(poll.max, poll.initial);
  const auto since = std::chrono::duration_cast<Millis>(now - sent_at(run));
  double ms = std::clamp(static_cast<double>(since.count()) / 2.0,
                         static_cast<double>(lo.count()), static_cast<double>(hi.count()));
  ms *= 1.0 + (std::clamp(jitter, 0.0, 1.0) - 0.5) * 0.2;
  Millis delay(std::max<std::int64_t>(1, std::llround(ms)));
  const SysMillis window_end = sent_at(run) + job.settings->record_timeout;
  if (now < window_end && now + delay > window_end) delay = window_end - now;
  return delay;
}

}  // namespace

RunStep on_reconcile_answer(
    const storage::RunRow& run, const config::Job& job,
    const platform::CallResult<std::vector<platform::ExecutionRecord>>& answer,
    const std::set<std::string>& claimed, SysMillis now, int polls, double jitter,
    const std::vector<MatchWindow>& rivals) {
  if (answer) {
    if (auto found = match_record(run, job, *answer, claimed, rivals)) {
      auto step = on_record(run, job, *found, now, polls, jitter);
      if (run.execution_id.empty()) step.update.matched_by = "query";
      return step;
    }
  }
  if (run_timed_out(run, job, now)) return timed_out(job, now);
  bool window_over = now - sent_at(run) >= job.settings->record_timeout;
  if (run.state == RunState::submitting && window_over) {
    return finish(RunState::unknown,
                  fmt::format("the trigger's outcome is uncertain and no execution record was "
                              "found within record_timeout ({}); not resent",
                              format_duration(job.settings->record_timeout)),
                  now);
  }
  if (run.state == RunState::submitted && window_over) {
    return finish(RunState::lost,
                  fmt::format("no execution record within record_timeout ({})",
                              format_duration(job.settings->record_timeout)),
                  now);
  }
  auto step = wait_until(now + reconcile_delay(run, job, now, jitter));
  if (!answer) {
    step.event = RunEvent::poll_failed;
    step.update.last_error = describe(answer.error());
  }
  return step;
}

// ---- the tracker's choices ------------------------------------------------------------

std::string_view to_string(RunAction action) {
  switch (action) {
    case RunAction::submit:
      return "submit";
    case RunAction::poll:
      return "poll";
    case RunAction::query:
      break;
  }
  return "reconcile";
}

RunAction resume_action(const storage::RunRow& run) {
  switch (run.state) {
    case RunState::scheduled:
      return RunAction::submit;
    case RunState::submitting:
      return run.maybe_accepted ? RunAction::query : RunAction::submit;
    default:
      return run.request_id.empty() ? RunAction::query : RunAction::poll;
  }
}

bool stays_queued(const storage::RunRow& run, config::Overlap overlap, bool other_sent) {
  return run.state == RunState::scheduled && overlap == config::Overlap::queue && other_sent;
}

RunStep deadline_passed(const storage::RunRow& run) {
  RunStep step;
  step.kind = RunStep::Kind::transition;
  step.to = run.state == RunState::scheduled ? RunState::missed : RunState::submit_failed;
  step.update.last_error = "deadline passed (slot + catchup_window) before the trigger was sent";
  if (!run.last_error.empty()) *step.update.last_error += "; last error: " + run.last_error;
  step.update.next_action_at = std::optional<SysMillis>();
  step.event = RunEvent::finished;
  return step;
}

SysMillis auth_wait_until(SysMillis retry_at, SysMillis deadline) {
  return std::min(retry_at, deadline + Millis(1));
}

RunStep auth_hold(const storage::RunRow& run, SysMillis retry_at, SysMillis deadline) {
  RunStep step;
  step.kind = RunStep::Kind::resend;
  step.at = auth_wait_until(retry_at, deadline);
  step.update.attempts = run.attempts - 1;
  step.update.maybe_accepted = false;  // it never left
  step.update.last_error = "not sent: the platform refused the credentials (auth circuit open)";
  step.update.next_action_at = std::optional<SysMillis>(step.at);
  return step;
}

}  // namespace bsched::core
