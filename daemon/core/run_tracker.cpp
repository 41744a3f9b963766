// One coroutine per run in flight: sleep until the run's next action, act (submit, poll or
// reconcile), store what the pure decisions (decisions.h) make of the answer. Every change
// of state is one RunStore::transition, committed together with the other trackers' writes
// of the same event-loop turn (WriteBatch) and durable before the tracker goes on; a store
// failure keeps the decided step and retries it before anything else is sent.
#include "daemon/core/engine_impl.h"

#include "config/escape.h"
#include "daemon/platform/request_builder.h"

#include <spdlog/spdlog.h>

namespace bsched::core {

using storage::RunState;

void Engine::Impl::spawn_tracker(std::shared_ptr<Tracked> t) {
  t->tracking = true;
  spawn(track(std::move(t)), "run tracker");
}

SysMillis Engine::Impl::run_now(Tracked& t) const {
  if (!t.anchor) t.anchor.emplace(clock.now(), clock.steady_now());
  auto elapsed = clock.steady_now() - t.anchor->second;
  return t.anchor->first + std::chrono::duration_cast<Millis>(elapsed);
}

boost::asio::awaitable<void> Engine::Impl::track(std::shared_ptr<Tracked> t) {
  while (!stopping() && !t->gone && !storage::is_terminal(t->row.state)) {
    auto now = run_now(*t);
    auto at = t->row.next_action_at.value_or(now);
    // No trigger leaves before its slot (a queued run after the wall clock stepped back).
    if (t->row.state == RunState::scheduled) at = std::max(at, SysMillis(t->row.slot));
    if (at > now) {
      t->timer->expires_after(std::chrono::duration_cast<Millis>(at - now));
      if (!co_await t->timer->wait()) continue;  // woken early: look again
      if (stopping()) break;
    }
    co_await act(*t);
  }
  if (t->gone || storage::is_terminal(t->row.state)) on_run_ended(*t);
}

boost::asio::awaitable<void> Engine::Impl::act(Tracked& t) {
  if (t.unsure) {
    const bool took_stored = co_await check_stored(t);  // named first (g++ 12)
    if (took_stored) co_return;
  }
  if (t.pending) {
    auto step = *t.pending;
    t.pending.reset();
    co_await apply(t, step);
    co_return;
  }
  switch (t.mode) {
    case RunAction::submit:
      co_await submit(t);
      break;
    case RunAction::poll:
      co_await poll(t);
      break;
    case RunAction::query:
      co_await reconcile(t);
      break;
  }
}

// Stores that a request is about to leave (scheduled -> submitting, or one more attempt).
boost::asio::awaitable<bool> Engine::Impl::write_sending(Tracked& t,
                                                         const storage::RunUpdate& sending,
                                                         SysMillis now) {
  std::optional<storage::StoreError> failed;
  if (t.row.state == RunState::scheduled) {
    auto r = co_await writes.transition(t.row.id, RunState::submitting, now, sending);
    if (r) {
      t.row = *r;
      co_return true;
    }
    failed = r.error();
    store_error("transition", *failed);
  } else {
    auto r = co_await writes.update(t.row.id, sending);
    if (r) {
      apply_update(t.row, sending);
      co_return true;
    }
    failed = r.error();
    store_error("update", *failed);
  }
  t.row.next_action_at = run_now(t) + k_store_retry;
  // Refused as illegal: the row moved on (an earlier write stored though its answer was
  // lost); act on the stored row. Failed with its outcome unknown: read it before acting.
  if (refused_as_stale(*failed)) co_await adopt_stored(t);
  t.unsure = outcome_unknown(*failed);
  co_return false;
}

std::optional<SysMillis> Engine::Impl::auth_closed_until(SysMillis now) const {
  auto health = client.health();
  if (health.auth_failed && health.auth_retry_at && *health.auth_retry_at > now) {
    return health.auth_retry_at;
  }
  return std::nullopt;
}

std::pair<platform::ExecutionRequest, storage::RunUpdate> Engine::Impl::next_attempt(
    const Tracked& t, SysMillis now) const {
  const auto* jr = jobs.find(t.row.job);
  config::PlaceholderContext ctx{t.row.job, t.row.run_id, t.row.slot, t.job->settings->zone,
                                 jr ? jr->last_success : std::nullopt};
  auto request = platform::make_execution_request(*t.job, ctx, t.extra);
  storage::RunUpdate sending;
  sending.attempts = t.row.attempts + 1;
  sending.last_sent_at = now;
  sending.properties_json = platform::properties_json(request);
  sending.next_action_at = std::optional<SysMillis>();
  sending.maybe_accepted = true;  // durable before the request leaves
  return {std::move(request), std::move(sending)};
}

// Sends the run's ExecutionRequest. The row says `submitting`, with the attempt counted and
// last_sent_at set, before the request leaves: a crash from here on is reconciled. A staged
// request (first attempt of a slot, see stage_submit) has that state stored already.
boost::asio::awaitable<void> Engine::Impl::submit(Tracked& t) {
  auto now = clock.now();
  std::optional<platform::ExecutionRequest> request = std::move(t.staged);
  t.staged.reset();
  if (!request) {
    if (now > t.deadline) {
      co_await apply(t, deadline_passed(t.row));
      co_return;
    }
    if (auto until = auth_closed_until(now)) {
      // Nothing is sent until the circuit allows a probe or new credentials arrive.
      t.row.next_action_at = auth_wait_until(*until, t.deadline);
      t.wait = Tracked::Wait::auth;
      co_return;
    }
    // The deadline and the auth circuit are wall-clock instants; the run's own times are
    // measured on its monotonic "now".
    auto sent = run_now(t);
    auto [built, sending] = next_attempt(t, sent);
    if (!co_await write_sending(t, sending, sent)) co_return;
    request = std::move(built);
  }
  if (co_await held_by_auth(t)) co_return;
  t.wait = Tracked::Wait::none;
  if (!options.may_send()) co_return withhold(t);
  spdlog::info("run.submitting job={} run={} attempt={}", t.row.job, t.row.id, t.row.attempts);
  if (t.row.attempts == 1) {
    metrics.started(t.row, clock.now());
    check_late(t, t.row.last_sent_at.value_or(clock.now()));
  }
  // Asked again as each attempt leaves: the request may wait seconds for the pace.
  auto answer = co_await counted_submit(*request);
  if (!answer && answer.error().kind == platform::FailureKind::withheld) co_return withhold(t);
  note_answer(answer);
  auto auth = !answer && answer.error().kind == platform::FailureKind::auth;
  t.wait = auth ? Tracked::Wait::auth : Tracked::Wait::none;
  auto step = on_submit_answer(t.row, *t.job, answer, run_now(t), random01(),
                               client.health().auth_retry_at);
  co_await apply(t, step);
}

// Stored as leaving, but not sent (no certain leader lease): like a crash at this point,
// reconciled from here on.
void Engine::Impl::withhold(Tracked& t) {
  spdlog::warn("run.send_withheld job={} run={} attempt={} reason=\"no certain leader lease\"",
               t.row.job, t.row.id, t.row.attempts);
  t.mode = RunAction::query;
  t.row.next_action_at = run_now(t) + k_store_retry;
}

// client.submit, counted in submits_in_flight (also when it throws): the last answer of a
// burst ends the burst's write hold.
boost::asio::awaitable<platform::CallResult<platform::SubmitResult>> Engine::Impl::counted_submit(
    const platform::ExecutionRequest& request) {
  struct InFlight {
    Impl& impl;
    explicit InFlight(Impl& i) : impl(i) { ++impl.fire.burst.submits_in_flight; }
    ~InFlight() {
      if (--impl.fire.burst.submits_in_flight == 0 && !impl.stopping()) impl.end_burst_hold();
    }
  } in_flight(*this);
  co_return co_await client.submit(request, options.may_send);
}

// The auth circuit opened while the sending state was being committed with its batch (an
// earlier request of the same turn got a 401): the request does not leave; the attempt is
// taken back and the run resent once the circuit allows it.
boost::asio::awaitable<bool> Engine::Impl::held_by_auth(Tracked& t) {
  auto health = client.health();
  if (!health.auth_failed || !health.auth_retry_at || *health.auth_retry_at <= clock.now()) {
    co_return false;
  }
  t.wait = Tracked::Wait::auth;
  co_await apply(t, auth_hold(t.row, *health.auth_retry_at, t.deadline));
  co_return true;
}

void Engine::Impl::release_auth_holds() {
  for (auto& [id, t] : runs) {
    if (t->wait != Tracked::Wait::auth) continue;
    t->wait = Tracked::Wait::none;
    t->row.next_action_at = run_now(*t);
    t->timer->cancel();
  }
}

boost::asio::awaitable<void> Engine::Impl::poll(Tracked& t) {
  if (t.row.request_id.empty()) {
    t.mode = RunAction::query;
    co_return;
  }
  auto answer = co_await client.poll(t.row.request_id);
  note_answer(answer);
  auto step = on_poll_answer(t.row, *t.job, answer, run_now(t), t.polls++, random01());
  co_await apply(t, step);
}

boost::asio::awaitable<void> Engine::Impl::reconcile(Tracked& t) {
  auto query = reconcile_query(t.row, *t.job, clock.now());
  spdlog::info("run.reconcile job={} run={} from={} to={}", t.row.job, t.row.id,
               format_utc(query.from), format_utc(query.to));
  auto answer = co_await client.query(query);
  note_answer(answer);
  // A run that knows its execution id is matched by it; `claimed` and the rivals' windows
  // are for those that do not.
  if (answer && t.row.execution_id.empty()) {
    const bool known = co_await claim_held(*answer);
    if (!known) {  // which records are held is not known: ask again shortly
      t.row.next_action_at = run_now(t) + k_store_retry;
      co_return;
    }
  }
  auto step = on_reconcile_answer(t.row, *t.job, answer, runs.claimed(), run_now(t), t.polls++,
                                  random01(), runs.rivals(t));
  co_await apply(t, step);
}

boost::asio::awaitable<bool> Engine::Impl::claim_held(
    const std::vector<platform::ExecutionRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) {
    if (!r.execution_id.empty() && !runs.claimed().count(r.execution_id))
      ids.push_back(r.execution_id);
  }
  if (ids.empty()) co_return true;
  std::function<storage::StoreResult<std::vector<std::string>>(storage::RunStore&)> read =
      [ids = std::move(ids)](storage::RunStore& s) { return s.held_execution_ids(ids); };
  auto held = co_await call_store(std::move(read));
  if (!held) {
    store_error("held_execution_ids", held.error());
    co_return false;
  }
  for (const auto& id : *held) runs.claim(id, clock.now());
  co_return true;
}

boost::asio::awaitable<void> Engine::Impl::apply(Tracked& t, const RunStep& step) {
  // An answer that comes back after the engine ended is not stored: on a pair the next term or
  // the other node owns the run now and learns the answer itself (poll or reconcile).
  if (life.phase == Phase::ended) {
    spdlog::info("run.answer_dropped job={} run={} reason=\"the engine has ended\"", t.row.job,
                 t.row.id);
    co_return;
  }
  auto now = run_now(t);
  storage::StoreResult<void> written;
  auto outcome = std::make_shared<TerminalOutcome>();
  if (step.to) {
    auto also = terminal_writes(t, *step.to, now, outcome);
    auto r = co_await writes.transition(t.row.id, *step.to, now, step.update, std::move(also));
    if (r) t.row = *r;
    else written = r.error();
  } else {
    written = co_await writes.update(t.row.id, step.update);
    if (written) apply_update(t.row, step.update);
  }
  if (!written) {
    const auto error = written.error();  // named: no temporary in a co_await (g++ 12)
    co_await store_failed(t, step, error);
    co_return;
  }
  store_ok();
  if (step.to) terminal_committed(t, *outcome, now);
  if (step.kind == RunStep::Kind::reconcile) t.mode = RunAction::query;
  if (step.kind == RunStep::Kind::resend) t.mode = RunAction::submit;
  if (step.to == RunState::submitted) t.mode = RunAction::poll;
  if (!t.row.execution_id.empty()) runs.claim(t.row.execution_id, clock.now());
  log_step(t, step);
}

// A step the store did not take: kept and retried shortly, unless the row is gone or in
// another state (then the stored row wins).
boost::asio::awaitable<void> Engine::Impl::store_failed(Tracked& t, const RunStep& step,
                                                        storage::StoreError e) {
  store_error(step.to ? "transition" : "update", e);
  t.pending = step;
  t.row.next_action_at = run_now(t) + k_store_retry;
  if (refused_as_stale(e)) co_await adopt_stored(t);
  t.unsure = outcome_unknown(e);
}

bool Engine::Impl::outcome_unknown(const storage::StoreError& e) {
  return e.kind == storage::StoreErrorKind::io;
}

boost::asio::awaitable<bool> Engine::Impl::check_stored(Tracked& t) {
  auto fresh = co_await read_row(t);
  if (!fresh) {
    t.row.next_action_at = run_now(t) + k_store_retry;  // still unsure: read again then
    co_return true;
  }
  t.unsure = false;
  const bool moved = !*fresh || (*fresh)->state != t.row.state ||
                     (*fresh)->request_id != t.row.request_id ||
                     (*fresh)->attempts != t.row.attempts;
  if (!moved) co_return false;  // the write did not land: the pending step is retried
  take_stored(t, *fresh);
  co_return true;
}

bool Engine::Impl::refused_as_stale(const storage::StoreError& e) {
  return e.kind == storage::StoreErrorKind::illegal_transition ||
         e.kind == storage::StoreErrorKind::not_found;
}

// The stored row wins over the tracker's view: a write of ours that the store took while we
// heard it fail (PostgreSQL: the connection closed after COMMIT), or another term's. The run
// goes on from the stored row as a recovery would (resume_action): a requestId stored is
// polled, a request possibly sent is reconciled, never sent again. When the row cannot be
// read now, the pending step is retried first and the read again after it.
boost::asio::awaitable<void> Engine::Impl::adopt_stored(Tracked& t) {
  const auto fresh = co_await read_row(t);  // named first (g++ 12, see burst_hold_cap)
  if (fresh) take_stored(t, *fresh);
}

// The run's stored row (none: the row is gone); a failed read is logged.
boost::asio::awaitable<storage::StoreResult<std::optional<storage::RunRow>>>
Engine::Impl::read_row(const Tracked& t) {
  std::function<storage::StoreResult<std::optional<storage::RunRow>>(storage::RunStore&)> read =
      [id = t.row.id](storage::RunStore& s) { return s.find_run(id); };
  auto fresh = co_await call_store(std::move(read));
  if (!fresh) store_error("find_run", fresh.error());
  co_return fresh;
}

void Engine::Impl::take_stored(Tracked& t, const std::optional<storage::RunRow>& stored) {
  if (!stored) {
    spdlog::error("run.dropped job={} run={} reason=\"the run is no longer in the store\"",
                  t.row.job, t.row.id);
    t.gone = true;  // ends the tracker; nothing is stored
    return;
  }
  t.pending.reset();
  t.row = *stored;
  t.mode = resume_action(t.row);
  if (!t.row.execution_id.empty()) runs.claim(t.row.execution_id, clock.now());
  // Act on the stored row, but not in a tight loop should the store refuse it again.
  t.row.next_action_at = std::max(t.row.next_action_at.value_or(SysMillis{}),
                                  run_now(t) + k_store_retry);
}

void Engine::Impl::log_step(const Tracked& t, const RunStep& step) {
  const auto& r = t.row;
  switch (step.event) {
    case RunEvent::none:
      break;
    case RunEvent::submitted:
      spdlog::info("run.submitted job={} run={} request=\"{}\"", r.job, r.id, esc(r.request_id));
      break;
    case RunEvent::running:
      spdlog::info("run.running job={} run={} execution=\"{}\" status=\"{}\"", r.job, r.id,
                   esc(r.execution_id), esc(r.remote_status));
      break;
    case RunEvent::finished: {
      auto level = storage::is_success(r.state) ? spdlog::level::info : spdlog::level::warn;
      spdlog::log(level,
                  "run.finished job={} run={} state={} status=\"{}\" execution=\"{}\" "
                  "message=\"{}\" error=\"{}\"",
                  r.job, r.id, storage::to_string(r.state), esc(r.remote_status),
                  esc(r.execution_id), esc(r.message), esc(r.last_error));
      break;
    }
    case RunEvent::retry:
      spdlog::warn("run.retry job={} run={} attempt={} at={} error=\"{}\"", r.job, r.id,
                   r.attempts, format_utc_ms(step.at), esc(r.last_error));
      break;
    case RunEvent::reconcile:
      spdlog::warn("run.reconcile job={} run={} reason=\"{}\"", r.job, r.id,
                   esc(r.last_error.empty() ? "async result gone" : r.last_error));
      break;
    case RunEvent::poll_failed:
      spdlog::warn("run.poll_failed job={} run={} error=\"{}\"", r.job, r.id, esc(r.last_error));
      break;
  }
}

void Engine::Impl::on_run_ended(const Tracked& t) {
  auto state = t.row.state;
  if (!t.gone) metrics.finished(t.row);
  if (!t.gone && storage::is_success(state)) {
    if (auto* jr = jobs.find(t.row.job)) {
      jr->last_success = std::max(jr->last_success.value_or(t.row.slot), t.row.slot);
    }
  } else if (!t.gone && state != RunState::missed && state != RunState::skipped) {
    house.run_failed();
  }
  auto job = t.row.job;
  runs.remove(t);
  release_queued(job);
}

}  // namespace bsched::core
