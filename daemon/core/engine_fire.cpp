// The fire loop: one timer for the earliest due slot of all jobs; due slots planned
// (slot_planner.h), overlap decided (decisions.h) and written in one transaction per batch.
#include "daemon/core/engine_impl.h"

#include "daemon/platform/request_builder.h"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

namespace bsched::core {

using storage::RunState;

namespace {

// Jobs planned in the first transaction of a burst: small enough that its first requests
// leave within a few milliseconds, large enough that a slot of up to 64 jobs is one commit.
// The rest of the burst follows in batches of k_later_fire_batch: each commit rewrites the
// index pages it touched, so 1,000 same-second slots are two commits.
constexpr std::size_t k_first_fire_batch = 64;
constexpr std::size_t k_later_fire_batch = 4096;
// The longest the answers' writes of a burst stay held after its last slot was planned:
// long enough for 1,000 exchanges on loopback, short enough that a crash loses few requestIds
// (a run without its requestId is reconciled, never resent).
constexpr Millis k_burst_hold_cap = std::chrono::milliseconds(500);
// With nothing due at all the loop still wakes now and then (cheap; keeps it honest).
constexpr Millis k_idle_wake = std::chrono::hours(1);

std::string gap_line(const storage::SlotGap& g) {
  return fmt::format("slot.{} job={} first={} last={} count={} reason=\"{}\"",
                     g.kind == RunState::skipped ? "skipped" : "missed", g.job,
                     format_utc(g.first), format_utc(g.last), g.count, g.reason);
}

}  // namespace

boost::asio::awaitable<void> Engine::Impl::fire_loop() {
  std::size_t fire_batch = k_first_fire_batch;
  while (!stopping()) {
    using Pass = FireLoop::Pass;
    bool every = fire.next == Pass::clock_step;
    // After a clock step or a store outage the due slots piled up unseen: catch-up rules.
    auto reason = every                                ? k_reason_clock_step
                  : fire.next == Pass::store_retry ? k_reason_store
                                                       : k_reason_late;
    auto pass = fire.next == Pass::due ? SlotPass::on_time : SlotPass::catch_up;
    // Named: a co_await inside the if condition made g++ 12 emit a trap (burst_hold_cap).
    const bool more = co_await fire_due(clock.now(), every, reason, fire_batch, pass);
    if (more) {
      fire_batch = k_later_fire_batch;
      // More slots are due: let this batch's trackers send their requests first; the
      // answers' state writes wait until the whole burst is out.
      writes.hold();
      co_await boost::asio::post(io, boost::asio::use_awaitable);
      continue;
    }
    // Only a burst holds the writes (a slot of one batch never did).
    if (fire_batch > k_first_fire_batch) hold_after_burst();
    fire_batch = k_first_fire_batch;
    fire.timer->expires_after(next_fire_delay(clock.now()));
    co_await fire.timer->wait();
  }
  end_burst_hold();
  writes.release();
}

void Engine::Impl::hold_after_burst() {
  if (fire.burst.submits_in_flight == 0) {
    end_burst_hold();
    writes.release();
    return;
  }
  writes.hold();
  fire.burst.cap->expires_after(k_burst_hold_cap);  // a later burst: its own 500 ms from now
  bool start_cap = fire.burst.hold == BurstWrites::Hold::off;  // else its coroutine is still there
  fire.burst.hold = BurstWrites::Hold::held;
  if (start_cap) spawn(burst_hold_cap(), "burst hold");
}

void Engine::Impl::end_burst_hold() {
  if (fire.burst.hold != BurstWrites::Hold::held) return;
  fire.burst.hold = BurstWrites::Hold::released;
  fire.burst.cap->cancel();
  writes.release();
}

// Ends the hold k_burst_hold_cap after the burst (on the steady clock: a wall-clock step
// cannot stretch it), unless the last answer ends it first. A wait woken early (re-armed by
// a later burst, or cancelled) looks again.
boost::asio::awaitable<void> Engine::Impl::burst_hold_cap() {
  using Hold = BurstWrites::Hold;
  while (fire.burst.hold == Hold::held && !stopping()) {
    // Named: with this co_await inside the if condition, g++ 12 emitted a trap (SIGILL).
    const bool expired = co_await fire.burst.cap->wait();
    if (expired) end_burst_hold();
  }
  if (fire.burst.hold == Hold::released) fire.burst.hold = Hold::off;
}

Millis Engine::Impl::next_fire_delay(SysMillis now) const {
  // After a refused batch the due jobs are still due: wait before asking the store again.
  if (fire.refused) return k_store_retry;
  Millis delay = k_idle_wake;
  if (auto earliest = jobs.earliest_due()) {
    auto at = SysMillis(*earliest);
    delay = std::max(Millis(0), std::chrono::duration_cast<Millis>(at - now));
  }
  return std::min(delay, k_idle_wake);
}

std::shared_ptr<Tracked> Engine::Impl::make_tracked(const JobRuntime& jr, sys_seconds slot) {
  auto t = std::make_shared<Tracked>();
  t->config = jobs.config();
  t->job = jr.job;
  t->deadline = submit_deadline(slot, jr.job->settings->catchup_window);
  t->row.run_id = options.run_id();
  t->row.job = jr.job->name;
  t->row.slot = slot;
  t->timer = timers->make_timer();
  return t;
}

void Engine::Impl::wake_fire_loop() { fire.timer->cancel(); }

// Plans the due jobs, earliest first, at most `limit` of them (every job when `every_job`),
// and writes the plan in one transaction. Returns whether more jobs are due
// now: a burst of same-second slots goes out in batches, each batch's requests leaving while
// the next one is planned. When the store refuses, nothing in memory changes and the loop
// retries shortly; the slots then fire late (catch-up rules), never twice.
//
// On PostgreSQL the write goes to the commit thread and the loop goes on meanwhile (trackers
// poll and send, commands run, the listener answers); a reload arriving then waits for it
// (FireLoop::writing: the batch holds pointers into the job table). On SQLite it is written
// here, without suspending.
boost::asio::awaitable<bool> Engine::Impl::fire_due(SysMillis now, bool every_job,
                                                    std::string_view late_reason,
                                                    std::size_t limit, SlotPass pass) {
  std::vector<JobRuntime*> batch;
  bool more = false;
  if (every_job) {
    for (auto& jr : jobs) {
      if (jr.active) batch.push_back(&jr);
    }
  } else {
    jobs.each_due([&](sys_seconds at, JobRuntime& jr) {
      if (SysMillis(at) > now) return false;
      if (batch.size() == limit) {
        more = true;
        return false;
      }
      batch.push_back(&jr);
      return true;
    });
  }
  if (batch.empty() && fire.next != FireLoop::Pass::store_retry) {
    fire.next = FireLoop::Pass::due;  // nothing to look at (no job enabled)
    co_return false;
  }
  const auto asked = fire.next;  // a clock step may come while the write is away
  auto planned = std::make_shared<Planned>();
  planned->now = now;
  for (auto* jr : batch) {
    planned->horizons.emplace_back(jr, jr->horizon);
    plan_job(*jr, now, late_reason, pass, *planned);
  }
  // A named function, not a temporary in the co_await (g++ 12, see WriteBatch::transition).
  std::function<storage::StoreResult<void>()> write = [&store = store, planned] {
    return write_planned(store, *planned);
  };
  fire.writing = true;
  auto r = co_await writes.transact(std::move(write));
  fire.writing = false;
  if (life.phase == Phase::ended) co_return false;  // stopped meanwhile: another term's now
  if (!r) {
    store_error("fire", r.error());
    for (auto& [jr, h] : planned->horizons) jr->horizon = h;
    // A clock step's pass is retried as such (every job); any other as the due jobs.
    if (fire.next != FireLoop::Pass::clock_step) fire.next = FireLoop::Pass::store_retry;
    fire.refused = true;
    // Its runs may be stored all the same (the answer of its COMMIT lost): after the next
    // batch, the stored runs no tracker follows are taken up.
    if (outcome_unknown(r.error())) fire.adopt = true;
    next_reload();  // one that waited for this write
    co_return false;
  }
  if (fire.next == asked) fire.next = FireLoop::Pass::due;
  fire.refused = false;
  store_ok();
  apply_planned(*planned);
  for (auto* jr : batch) jobs.reschedule(*jr);
  next_reload();  // one that waited for this write
  const bool met_stored = std::any_of(planned->steps.begin(), planned->steps.end(),
                                      [](const auto& s) { return s.run && !s.row; });
  if (met_stored || std::exchange(fire.adopt, false)) co_await adopt_untracked();
  co_return more;
}

storage::StoreResult<void> write_planned(storage::RunStore& store, Planned& p) {
  for (auto& step : p.steps) {
    if (step.run) {
      auto row = store.create_run(step.new_run, p.now);
      if (!row && row.error().kind == storage::StoreErrorKind::duplicate_slot) continue;
      if (!row) return row.error();
      step.row = std::move(*row);
      continue;
    }
    if (step.skipped_behind) {
      if (const auto& ahead = p.steps[*step.skipped_behind].row) {
        step.gap->reason = decide_overlap(step.policy, ahead->id, step.queued_before).reason;
      }
    }
    BSCHED_TRY(store.record_gap(*step.gap));
    if (step.alert) BSCHED_TRY(store.record_alert(*step.alert));
  }
  return {};
}

// The batch committed: its runs are tracked, its lines logged, its gaps counted.
void Engine::Impl::apply_planned(Planned& p) {
  std::vector<std::string> lines;
  std::vector<std::shared_ptr<Tracked>> created;
  std::set<std::string> queued_jobs;
  bool gaps = false;
  for (auto& step : p.steps) {
    if (step.gap) {
      gaps = true;
      lines.push_back(gap_line(*step.gap));
      metrics.missed(*step.gap);
      continue;
    }
    auto& t = step.run;
    if (!step.row) {
      lines.push_back(fmt::format("slot.duplicate job={} slot={}", t->row.job,
                                  format_utc(step.slot.slot)));
      continue;
    }
    t->row = std::move(*step.row);
    runs.add(t);
    created.push_back(t);
    note_created(*t, step.slot, p.now, lines);
    if (t->wait == Tracked::Wait::queued) {
      queued_jobs.insert(t->row.job);
      lines.push_back(fmt::format("run.queued job={} run={} behind={}", t->row.job, t->row.id,
                                  runs.oldest_active(t->row.job).value_or(0)));
    }
  }
  for (const auto& line : lines) spdlog::info("{}", line);
  if (gaps) alerts_written();
  for (auto& t : created) {
    if (t->wait != Tracked::Wait::queued) spawn_tracker(t);
  }
  // The run a slot queued behind may have ended while the write was away (or its own slot
  // was claimed already): the queue moves on.
  for (const auto& job : queued_jobs) release_queued(job);
}

// The slots of one job in (horizon, now]: gaps to record, runs to create or slots skipped per
// the overlap policy. A run planned here counts as in flight for the job's later slots.
void Engine::Impl::plan_job(JobRuntime& jr, SysMillis now, std::string_view late_reason,
                            SlotPass pass, Planned& out) {
  const auto& job = *jr.job;
  auto plan = jr.paused ? plan_paused(*jr.slots, job.name, jr.horizon, now, jr.paused_at,
                                      late_reason)
                        : plan_due_slots(*jr.slots, job.name, catchup_policy(job), jr.horizon, now,
                                         late_reason, pass);
  for (auto& gap : plan.gaps) {
    auto& step = out.steps.emplace_back();
    step.alert = gap_alert(gap);
    step.gap = std::move(gap);
  }
  // What overlap sees: the runs in flight, then the ones planned in this batch.
  auto in_flight = runs.oldest_active(job.name);
  std::optional<std::size_t> planned_in_flight;  // its step
  bool queued = runs.has_held(job.name);
  for (const auto& slot : plan.fire) {
    const auto policy = job.settings->overlap;
    auto decision = decide_overlap(
        policy, in_flight ? in_flight : (planned_in_flight ? std::optional<std::int64_t>(0) : std::nullopt),
        queued);
    auto& step = out.steps.emplace_back();
    step.slot = slot;
    if (decision.action == OverlapAction::skip) {
      step.gap = storage::SlotGap{0, job.name, RunState::skipped, slot.slot, slot.slot, 1,
                                  decision.reason, now};
      if (!in_flight) step.skipped_behind = planned_in_flight;
      step.policy = policy;
      step.queued_before = queued;
      continue;
    }
    auto t = make_tracked(jr, slot.slot);
    step.new_run = storage::NewRun{t->row.run_id, job.name, slot.trigger, slot.slot, {}};
    if (decision.action == OverlapAction::queue) {
      t->wait = Tracked::Wait::queued;
      queued = true;
    } else {
      stage_submit(*t, step.new_run, now);
      if (!in_flight && !planned_in_flight) planned_in_flight = out.steps.size() - 1;
    }
    step.run = std::move(t);
  }
  if (plan.last_slot) jr.horizon = std::max(jr.horizon, *plan.last_slot);
}

// "run.created …", formatted only when logged: a burst makes a thousand of these.
void Engine::Impl::note_created(const Tracked& t, const DueSlot& slot, SysMillis now,
                                std::vector<std::string>& lines) const {
  if (!spdlog::should_log(spdlog::level::info)) return;
  lines.push_back(fmt::format("run.created job={} run={} run_id={} slot={} trigger={} late_ms={}",
                              t.row.job, t.row.id, t.row.run_id, format_utc(slot.slot),
                              storage::to_string(slot.trigger),
                              (now - SysMillis(slot.slot)).count()));
}

// A run that may leave at once is created `submitting`, with the request it sends, in the
// slot's own commit: its tracker sends without waiting for a second write, so a burst of
// same-second slots costs one fsync before the first trigger leaves. When the deadline has
// passed or the auth circuit is open the run is created `scheduled`; its tracker decides.
void Engine::Impl::stage_submit(Tracked& t, storage::NewRun& n, SysMillis now) {
  if (now > t.deadline || auth_closed_until(now)) return;
  auto [request, sending] = next_attempt(t, now);
  n.properties_json = std::move(*sending.properties_json);
  t.staged = std::move(request);
  n.submitting = true;
}

// The earlier run of a queue job ended: its waiting slot fires now, with a fresh deadline
// (a queued slot waits as long as the earlier run takes).
void Engine::Impl::release_queued(const std::string& job) {
  if (runs.oldest_active(job)) return;
  auto t = runs.first_held(job);
  if (!t) return;
  t->wait = Tracked::Wait::none;
  t->deadline = clock.now() + t->job->settings->catchup_window;
  spdlog::info("run.released job={} run={}", job, t->row.id);
  if (!stopping()) spawn_tracker(t);
}

}  // namespace bsched::core
