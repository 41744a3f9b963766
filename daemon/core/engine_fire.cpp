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
    bool every = next_pass == FirePass::clock_step;
    // After a clock step or a store outage the due slots piled up unseen: catch-up rules.
    auto reason = every                                ? k_reason_clock_step
                  : next_pass == FirePass::store_retry ? k_reason_store
                                                       : k_reason_late;
    auto pass = next_pass == FirePass::due ? SlotPass::on_time : SlotPass::catch_up;
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
    if (prepared_for && SysMillis(*prepared_for) <= now) drop_prepared();  // its instant is over
    prepare_burst(now);
    fire_timer->expires_after(next_fire_delay(clock.now()));  // preparing took a while
    co_await fire_timer->wait();
  }
  end_burst_hold();
  writes.release();
}

void Engine::Impl::hold_after_burst() {
  if (submits_in_flight == 0) {
    end_burst_hold();
    writes.release();
    return;
  }
  writes.hold();
  burst_timer->expires_after(k_burst_hold_cap);  // a later burst: its own 500 ms from now
  bool start_cap = burst_hold == BurstHold::off;  // else the cap's coroutine is still there
  burst_hold = BurstHold::held;
  if (start_cap) spawn(burst_hold_cap(), "burst hold");
}

void Engine::Impl::end_burst_hold() {
  if (burst_hold != BurstHold::held) return;
  burst_hold = BurstHold::released;
  burst_timer->cancel();
  writes.release();
}

// Ends the hold k_burst_hold_cap after the burst (on the steady clock: a wall-clock step
// cannot stretch it), unless the last answer ends it first. A wait woken early (re-armed by
// a later burst, or cancelled) looks again.
boost::asio::awaitable<void> Engine::Impl::burst_hold_cap() {
  while (burst_hold == BurstHold::held && !stopping()) {
    // Named: with this co_await inside the if condition, g++ 12 emitted a trap (SIGILL).
    const bool expired = co_await burst_timer->wait();
    if (expired) end_burst_hold();
  }
  if (burst_hold == BurstHold::released) burst_hold = BurstHold::off;
}

Millis Engine::Impl::next_fire_delay(SysMillis now) const {
  // After a refused batch the due jobs are still due: wait before asking the store again.
  if (next_pass == FirePass::store_retry) return k_store_retry;
  Millis delay = k_idle_wake;
  if (auto earliest = due.earliest()) {
    auto at = SysMillis(*earliest);
    if (burst_to_prepare()) at -= k_prepare_lead;  // wake first to prepare it
    delay = std::max(Millis(0), std::chrono::duration_cast<Millis>(at - now));
  }
  return std::min(delay, k_idle_wake);
}

// The earliest due instant, when more jobs are due on it than one batch and it is not
// prepared yet.
std::optional<sys_seconds> Engine::Impl::burst_to_prepare() const {
  auto at = due.earliest();
  if (!at || prepared_for == at) return std::nullopt;
  std::size_t n = 0;
  due.each([&](sys_seconds due_at, const JobRuntime&) { return due_at == *at && ++n <= k_first_fire_batch; });
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
  prepared_for = *at;
  if (auth_closed_until(now)) return;
  auto r = store.in_transaction([&]() -> storage::StoreResult<void> {
    std::vector<const JobRuntime*> burst;
    due.each([&](sys_seconds due_at, const JobRuntime& jr) {
      if (due_at != *at) return false;
      burst.push_back(&jr);
      return true;
    });
    for (const auto* due_job : burst) {
      const auto& jr = *due_job;
      const auto& name = jr.job->name;
      if (!jr.active || jr.paused) continue;
      bool may_wait = oldest_in_flight(name) || has_held(name);
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
      prepared.emplace(name, std::move(p));
    }
    return {};
  });
  if (!r) {
    store_error("prepare", r.error());
    prepared.clear();  // rolled back: the instant plans these slots itself
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
      add_run(p.run);
      if (!stopping()) spawn_tracker(p.run);
    }
  }
  prepared.clear();
  prepared_for.reset();
}

std::optional<PreparedRun> Engine::Impl::take_prepared(const JobRuntime& jr, sys_seconds slot) {
  if (prepared_for != slot) return std::nullopt;
  auto it = prepared.find(jr.job->name);
  if (it == prepared.end()) return std::nullopt;
  std::optional<PreparedRun> p = std::move(it->second);
  prepared.erase(it);
  return p;
}

std::shared_ptr<Tracked> Engine::Impl::make_tracked(const JobRuntime& jr, sys_seconds slot) {
  auto t = std::make_shared<Tracked>();
  t->config = config;
  t->job = jr.job;
  t->deadline = submit_deadline(slot, jr.job->settings->catchup_window);
  t->row.run_id = options.run_id();
  t->row.job = jr.job->name;
  t->row.slot = slot;
  t->timer = timers->make_timer();
  return t;
}

void Engine::Impl::wake_fire_loop() { fire_timer->cancel(); }

void Engine::Impl::reschedule(JobRuntime& jr) {
  if (jr.next_due) due.remove(*jr.next_due, jr.job->name);
  jr.next_due.reset();
  if (!jr.active) return;
  jr.next_due = jr.slots->next_after(jr.horizon);
  if (jr.next_due) due.add(*jr.next_due, jr.job->name, &jr);
}

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
    due.each([&](sys_seconds at, JobRuntime& jr) {
      if (SysMillis(at) > now) return false;
      if (batch.size() == limit) {
        more = true;
        return false;
      }
      batch.push_back(&jr);
      return true;
    });
  }
  if (batch.empty() && next_pass != FirePass::store_retry) {
    next_pass = FirePass::due;  // nothing to look at (no job enabled)
    return false;
  }
  std::vector<std::pair<JobRuntime*, sys_seconds>> old_horizons;
  Planned planned;
  planned.ahead.reserve(prepared_for ? std::min(batch.size(), prepared.size()) : 0);
  auto r = store.in_transaction([&]() -> storage::StoreResult<void> {
    for (auto* jr : batch) {
      old_horizons.emplace_back(jr, jr->horizon);
      BSCHED_TRY(plan_job(*jr, now, late_reason, pass, planned));
    }
    std::vector<std::int64_t> ids;
    ids.reserve(planned.ahead.size());
    for (const auto& t : planned.ahead) ids.push_back(t->row.id);
    return store.start_ahead(ids, now);
  });
  if (!r) {
    store_error("fire", r.error());
    for (auto& t : planned.created) remove_run(*t);
    for (auto& [jr, h] : old_horizons) jr->horizon = h;
    // Their rows are `scheduled` again (rolled back, deletes included). Back in `prepared`,
    // drop_prepared deletes them once the instant is over (or keeps them as scheduled runs
    // should that fail), and the retry plans those slots afresh.
    for (auto& t : planned.ahead) planned.dropped.push_back(unstart_prepared(std::move(t)));
    for (auto& p : planned.dropped) {
      auto name = p.run->row.job;
      prepared.emplace(std::move(name), std::move(p));
    }
    // A clock step's pass is retried as such (every job); any other as the due jobs.
    if (next_pass != FirePass::clock_step) next_pass = FirePass::store_retry;
    return false;
  }
  next_pass = FirePass::due;
  store_ok();
  for (const auto& line : planned.lines) spdlog::info("{}", line);
  for (auto* jr : batch) reschedule(*jr);
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
    lines.push_back(gap_line(gap));
  }
  for (const auto& slot : plan.fire) {
    auto decision =
        decide_overlap(job.settings->overlap, oldest_in_flight(job.name), has_held(job.name));
    // A run written ahead is taken on when it leaves at once and was made from the same
    // configuration and last success; otherwise its row is deleted before this slot is
    // handled as any other.
    auto ready = take_prepared(jr, slot.slot);
    bool fits = ready && decision.action == OverlapAction::fire &&
                slot.trigger == storage::Trigger::schedule && now <= ready->run->deadline &&
                !auth_closed_until(now) && ready->run->config == config &&
                ready->last_success == jr.last_success;
    if (ready && !fits) {
      out.dropped.push_back(std::move(*ready));
      ready.reset();
      BSCHED_TRY(store.discard_ahead({out.dropped.back().run->row.id}));
    }
    if (ready) {
      start_prepared(*ready, now);
      add_run(ready->run);
      created.push_back(ready->run);
      note_created(*ready->run, slot, now, true, lines);
      out.ahead.push_back(ready->run);
      continue;
    }
    if (decision.action == OverlapAction::skip) {
      storage::SlotGap gap{0, job.name, RunState::skipped, slot.slot, slot.slot, 1, decision.reason, now};
      BSCHED_TRY(store.record_gap(gap));
      lines.push_back(gap_line(gap));
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
    add_run(t);
    created.push_back(t);
    note_created(*t, slot, now, false, lines);
    if (t->held) {
      lines.push_back(fmt::format("run.queued job={} run={} behind={}", job.name, t->row.id,
                                  oldest_in_flight(job.name).value_or(0)));
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
  storage::start_first_send(p.run->row, now);
  p.run->staged = std::move(p.request);
}

PreparedRun Engine::Impl::unstart_prepared(std::shared_ptr<Tracked> t) {
  auto& row = t->row;
  row.state = RunState::scheduled;
  row.attempts = 0;
  row.submitting_at.reset();
  row.last_sent_at.reset();
  // It was taken on only with the job's last success unchanged.
  PreparedRun p{t, std::move(*t->staged), jobs.at(row.job).last_success};
  t->staged.reset();
  return p;
}

void Engine::Impl::add_run(std::shared_ptr<Tracked> t) {
  job_runs[t->row.job].insert(t->row.id);
  auto id = t->row.id;
  runs.emplace(id, std::move(t));
}

void Engine::Impl::remove_run(const Tracked& t) {
  auto id = t.row.id;
  if (auto it = job_runs.find(t.row.job); it != job_runs.end()) {
    it->second.erase(id);
    if (it->second.empty()) job_runs.erase(it);
  }
  runs.erase(id);
}

std::optional<std::int64_t> Engine::Impl::oldest_in_flight(const std::string& job) const {
  auto it = job_runs.find(job);
  if (it == job_runs.end()) return std::nullopt;
  for (auto id : it->second) {
    if (!runs.at(id)->held) return id;
  }
  return std::nullopt;
}

bool Engine::Impl::has_held(const std::string& job) const {
  auto it = job_runs.find(job);
  if (it == job_runs.end()) return false;
  for (auto id : it->second) {
    if (runs.at(id)->held) return true;
  }
  return false;
}

// The earlier run of a queue job ended: its waiting slot fires now, with a fresh deadline
// (a queued slot waits as long as the earlier run takes).
void Engine::Impl::release_queued(const std::string& job) {
  if (oldest_in_flight(job)) return;
  auto ids = job_runs.find(job);
  if (ids == job_runs.end()) return;
  for (auto id : ids->second) {
    auto& t = runs.at(id);
    if (!t->held) continue;
    t->held = false;
    t->deadline = clock.now() + t->job->settings->catchup_window;
    spdlog::info("run.released job={} run={}", job, id);
    if (!stopping()) spawn_tracker(t);
    return;
  }
}

}  // namespace bsched::core
