// The fire loop: one timer for the earliest due slot of all jobs; due slots planned
// (slot_planner.h), overlap decided (decisions.h) and written in one transaction per batch.
#include "daemon/core/engine_impl.h"

#include "daemon/platform/request_builder.h"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <fmt/format.h>

namespace bsched::core {

using storage::RunState;

namespace {

// Jobs planned in the first transaction of a burst: small enough that its first requests
// leave within a few milliseconds, large enough that a slot of up to 64 jobs is one commit.
// The rest of the burst follows in batches of k_later_fire_batch: with the runs prepared
// ahead (prepare_burst) a run costs about 10 µs to plan, and each commit rewrites the index
// pages it touched, so 1,000 same-second slots are two commits (doubling batches, five
// commits, measured no better).
constexpr std::size_t k_first_fire_batch = 64;
constexpr std::size_t k_later_fire_batch = 4096;
// The longest the answers' writes of a burst stay held after its last slot was planned:
// long enough for 1,000 exchanges on loopback, short enough that a crash loses few requestIds
// (a run without its requestId is reconciled, never resent).
constexpr Millis k_burst_hold_cap = std::chrono::milliseconds(500);
// A burst is prepared this long before its instant (run ids, requests, trackers, and the
// rows written `scheduled`), so the instant itself costs one UPDATE and the sends.
constexpr Millis k_prepare_lead = std::chrono::seconds(1);
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
    if (fire_due(clock.now(), every, reason, fire_batch, pass)) {
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
    auto now = clock.now();
    if (auto at = prepared.instant(); at && SysMillis(*at) <= now) drop_prepared();  // over
    prepare_burst(now);
    fire.timer->expires_after(next_fire_delay(clock.now()));  // preparing took a while
    co_await fire.timer->wait();
  }
  end_burst_hold();
  writes.release();
}

void Engine::Impl::hold_after_burst() {
  if (burst.submits_in_flight == 0) {
    end_burst_hold();
    writes.release();
    return;
  }
  writes.hold();
  burst.cap->expires_after(k_burst_hold_cap);  // a later burst: its own 500 ms from now
  bool start_cap = burst.hold == BurstWrites::Hold::off;  // else its coroutine is still there
  burst.hold = BurstWrites::Hold::held;
  if (start_cap) spawn(burst_hold_cap(), "burst hold");
}

void Engine::Impl::end_burst_hold() {
  if (burst.hold != BurstWrites::Hold::held) return;
  burst.hold = BurstWrites::Hold::released;
  burst.cap->cancel();
  writes.release();
}

// Ends the hold k_burst_hold_cap after the burst (on the steady clock: a wall-clock step
// cannot stretch it), unless the last answer ends it first. A wait woken early (re-armed by
// a later burst, or cancelled) looks again.
boost::asio::awaitable<void> Engine::Impl::burst_hold_cap() {
  using Hold = BurstWrites::Hold;
  while (burst.hold == Hold::held && !stopping()) {
    // Named: with this co_await inside the if condition, g++ 12 emitted a trap (SIGILL).
    const bool expired = co_await burst.cap->wait();
    if (expired) end_burst_hold();
  }
  if (burst.hold == Hold::released) burst.hold = Hold::off;
}

Millis Engine::Impl::next_fire_delay(SysMillis now) const {
  // After a refused batch the due jobs are still due: wait before asking the store again.
  if (fire.next == FireLoop::Pass::store_retry) return k_store_retry;
  Millis delay = k_idle_wake;
  if (auto earliest = jobs.earliest_due()) {
    auto at = SysMillis(*earliest);
    if (burst_to_prepare()) at -= k_prepare_lead;  // wake first to prepare it
    delay = std::max(Millis(0), std::chrono::duration_cast<Millis>(at - now));
  }
  return std::min(delay, k_idle_wake);
}

// The earliest due instant, when more jobs are due on it than one batch and it is not
// prepared yet.
std::optional<sys_seconds> Engine::Impl::burst_to_prepare() const {
  auto at = jobs.earliest_due();
  if (!at || prepared.instant() == at) return std::nullopt;
  std::size_t n = 0;
  jobs.each_due([&](sys_seconds due_at, const JobRuntime&) {
    return due_at == *at && ++n <= k_first_fire_batch;
  });
  return n > k_first_fire_batch ? at : std::nullopt;
}

// Within k_prepare_lead of a burst: makes each due job's run ahead, its row written
// `scheduled` (NewRun::ahead: the horizon stays) in one transaction. plan_job takes a run on
// at the instant when it still fits; drop_prepared deletes the rest. A job with a run in
// flight is left to the instant unless its overlap is `allow` (skip or queue decide there),
// and so is the whole burst while the auth circuit is open.
void Engine::Impl::prepare_burst(SysMillis now) {
  auto at = burst_to_prepare();
  if (!at || SysMillis(*at) - now > k_prepare_lead) return;
  drop_prepared();
  prepared.start(*at);
  if (auth_closed_until(now)) return;
  auto r = store.in_transaction([&]() -> storage::StoreResult<void> {
    std::vector<const JobRuntime*> burst;
    jobs.each_due([&](sys_seconds due_at, const JobRuntime& jr) {
      if (due_at != *at) return false;
      burst.push_back(&jr);
      return true;
    });
    for (const auto* due_job : burst) {
      const auto& jr = *due_job;
      const auto& name = jr.job->name;
      if (!jr.active || jr.paused) continue;
      bool may_wait = runs.oldest_active(name) || runs.has_held(name);
      if (may_wait && jr.job->settings->overlap != config::Overlap::allow) continue;
      PreparedRun p;
      p.run = make_tracked(jr, *at);
      p.last_success = jr.last_success;
      auto [request, sending] = next_attempt(*p.run, now);
      p.request = std::move(request);
      client.prepare(p.request);
      storage::NewRun n{p.run->row.run_id, name, storage::Trigger::schedule, *at,
                        std::move(*sending.properties_json)};
      n.ahead = true;
      auto row = store.create_run(n, now);
      // A run of this slot exists already (written ahead before a crash): it goes its own way.
      if (!row && row.error().kind == storage::StoreErrorKind::duplicate_slot) continue;
      if (!row) return row.error();
      p.run->row = *row;
      prepared.add(name, std::move(p));
    }
    return {};
  });
  if (!r) {
    store_error("prepare", r.error());
    prepared.forget_runs();  // rolled back: the instant plans these slots itself
    return;
  }
  if (!prepared.empty()) spawn(client.warm_up(prepared.size()), "connection warm-up");
  spdlog::debug("burst.prepared slot={} runs={}", format_utc(*at), prepared.size());
}

// Deletes the runs written ahead that were not taken on. Should the store refuse, they stay
// as ordinary `scheduled` runs: their trackers send them at their slot (or record them missed
// once its deadline passed), so a slot is never left without its run.
void Engine::Impl::drop_prepared() {
  std::vector<std::int64_t> ids;
  for (const auto& [name, p] : prepared) ids.push_back(p.run->row.id);
  auto r = store.discard_ahead(ids);
  if (!r) {
    store_error("discard_ahead", r.error());
    for (auto& [name, p] : prepared) {
      runs.add(p.run);
      if (!stopping()) spawn_tracker(p.run);
    }
  }
  prepared.forget();
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
bool Engine::Impl::fire_due(SysMillis now, bool every_job, std::string_view late_reason,
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
    return false;
  }
  std::vector<std::pair<JobRuntime*, sys_seconds>> old_horizons;
  Planned planned;
  planned.ahead.reserve(std::min(batch.size(), prepared.size()));
  auto r = store.in_transaction([&]() -> storage::StoreResult<void> {
    for (auto* jr : batch) {
      old_horizons.emplace_back(jr, jr->horizon);
      BSCHED_TRY(plan_job(*jr, now, late_reason, pass, planned));
    }
    std::vector<std::int64_t> ids;
    ids.reserve(planned.ahead.size());
    for (const auto& [t, before] : planned.ahead) ids.push_back(t->row.id);
    return store.start_ahead(ids, now);
  });
  if (!r) {
    store_error("fire", r.error());
    for (auto& t : planned.created) runs.remove(*t);
    for (auto& [jr, h] : old_horizons) jr->horizon = h;
    // Their rows are `scheduled` again (rolled back, deletes included). Back in `prepared`,
    // drop_prepared deletes them once the instant is over (or keeps them as scheduled runs
    // should that fail), and the retry plans those slots afresh.
    for (auto& [t, before] : planned.ahead) {
      planned.dropped.push_back(unstart_prepared(std::move(t), std::move(before)));
    }
    for (auto& p : planned.dropped) {
      auto name = p.run->row.job;
      prepared.add(name, std::move(p));
    }
    // A clock step's pass is retried as such (every job); any other as the due jobs.
    if (fire.next != FireLoop::Pass::clock_step) fire.next = FireLoop::Pass::store_retry;
    return false;
  }
  fire.next = FireLoop::Pass::due;
  store_ok();
  for (const auto& line : planned.lines) spdlog::info("{}", line);
  for (const auto& gap : planned.gaps) metrics.missed(gap);
  if (!planned.gaps.empty()) alerts_written();
  for (auto* jr : batch) jobs.reschedule(*jr);
  for (auto& t : planned.created) {
    if (!t->held) spawn_tracker(t);
  }
  return more;
}

// The slots of one job in (horizon, now]: gaps recorded, runs created or skipped per the
// overlap policy. Runs created here enter `runs` at once so the next slot sees them.
storage::StoreResult<void> Engine::Impl::plan_job(JobRuntime& jr, SysMillis now,
                                                  std::string_view late_reason, SlotPass pass,
                                                  Planned& out) {
  auto& created = out.created;
  auto& lines = out.lines;
  const auto& job = *jr.job;
  auto plan = jr.paused ? plan_paused(*jr.slots, job.name, jr.horizon, now, jr.paused_at,
                                      late_reason)
                        : plan_due_slots(*jr.slots, job.name, catchup_policy(job), jr.horizon, now,
                                         late_reason, pass);
  for (const auto& gap : plan.gaps) {
    BSCHED_TRY(store.record_gap(gap));
    BSCHED_TRY(record_gap_alert(gap));
    lines.push_back(gap_line(gap));
    out.gaps.push_back(gap);
  }
  for (const auto& slot : plan.fire) {
    auto decision = decide_overlap(job.settings->overlap, runs.oldest_active(job.name),
                                   runs.has_held(job.name));
    auto ready = prepared.take(job.name, slot.slot);
    if (ready && !take_prepared_run({.overlap = decision.action,
                                     .trigger = slot.trigger,
                                     .now = now,
                                     .deadline = ready->run->deadline,
                                     .auth_closed = auth_closed_until(now).has_value(),
                                     .same_config = ready->run->config == jobs.config(),
                                     .same_last_success = ready->last_success == jr.last_success})) {
      out.dropped.push_back(std::move(*ready));
      ready.reset();
      BSCHED_TRY(store.discard_ahead({out.dropped.back().run->row.id}));
    }
    if (ready) {
      auto before = ready->run->row;
      start_prepared(*ready, now);
      runs.add(ready->run);
      created.push_back(ready->run);
      note_created(*ready->run, slot, now, true, lines);
      out.ahead.emplace_back(ready->run, std::move(before));
      continue;
    }
    if (decision.action == OverlapAction::skip) {
      storage::SlotGap gap{0, job.name, RunState::skipped, slot.slot, slot.slot, 1, decision.reason, now};
      BSCHED_TRY(store.record_gap(gap));
      lines.push_back(gap_line(gap));
      out.gaps.push_back(std::move(gap));
      continue;
    }
    auto t = make_tracked(jr, slot.slot);
    storage::NewRun n{t->row.run_id, job.name, slot.trigger, slot.slot, {}};
    t->held = decision.action == OverlapAction::queue;
    if (!t->held) stage_submit(*t, n, now);
    auto row = store.create_run(n, now);
    if (!row && row.error().kind == storage::StoreErrorKind::duplicate_slot) {
      lines.push_back(fmt::format("slot.duplicate job={} slot={}", job.name, format_utc(slot.slot)));
      continue;
    }
    if (!row) return row.error();
    t->row = *row;
    runs.add(t);
    created.push_back(t);
    note_created(*t, slot, now, false, lines);
    if (t->held) {
      lines.push_back(fmt::format("run.queued job={} run={} behind={}", job.name, t->row.id,
                                  runs.oldest_active(job.name).value_or(0)));
    }
  }
  if (plan.last_slot) jr.horizon = std::max(jr.horizon, *plan.last_slot);
  return {};
}

// A run that may leave at once is created `submitting`, with the request it sends, in the
// slot's own commit: its tracker sends without waiting for a second write, so a burst of
// same-second slots costs one fsync before the first trigger leaves. When the deadline has
// passed or the auth circuit is open the run is created `scheduled`; its tracker decides.
// "run.created …", formatted only when logged: a burst makes a thousand of these.
void Engine::Impl::note_created(const Tracked& t, const DueSlot& slot, SysMillis now, bool ahead,
                                std::vector<std::string>& lines) const {
  if (!spdlog::should_log(spdlog::level::info)) return;
  lines.push_back(fmt::format("run.created job={} run={} run_id={} slot={} trigger={} late_ms={}{}",
                              t.row.job, t.row.id, t.row.run_id, format_utc(slot.slot),
                              storage::to_string(slot.trigger),
                              (now - SysMillis(slot.slot)).count(), ahead ? " ahead=true" : ""));
}

void Engine::Impl::stage_submit(Tracked& t, storage::NewRun& n, SysMillis now) {
  if (now > t.deadline || auth_closed_until(now)) return;
  auto [request, sending] = next_attempt(t, now);
  n.properties_json = std::move(*sending.properties_json);
  t.staged = std::move(request);
  n.submitting = true;
}

// A run written ahead leaves at its instant: in memory what start_ahead makes of its row in
// the batch's commit (the same step create_run takes for NewRun::submitting).
void Engine::Impl::start_prepared(PreparedRun& p, SysMillis now) {
  // Legal by construction (a prepared row is `scheduled` with no attempt); were it not, the
  // commit's start_ahead refuses the batch as a whole.
  (void)storage::enter_state(p.run->row, RunState::submitting, now, storage::first_send(now));
  p.run->staged = std::move(p.request);
}

PreparedRun Engine::Impl::unstart_prepared(std::shared_ptr<Tracked> t, storage::RunRow before) {
  t->row = std::move(before);  // as the rolled-back store has it
  // It was taken on only with the job's last success unchanged.
  PreparedRun p{t, std::move(*t->staged), jobs.at(t->row.job).last_success};
  t->staged.reset();
  return p;
}

// The earlier run of a queue job ended: its waiting slot fires now, with a fresh deadline
// (a queued slot waits as long as the earlier run takes).
void Engine::Impl::release_queued(const std::string& job) {
  if (runs.oldest_active(job)) return;
  auto t = runs.first_held(job);
  if (!t) return;
  t->held = false;
  t->deadline = clock.now() + t->job->settings->catchup_window;
  spdlog::info("run.released job={} run={}", job, t->row.id);
  if (!stopping()) spawn_tracker(t);
}

}  // namespace bsched::core
