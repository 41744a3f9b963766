// The engine's public face, recovery at start and configuration reloads.
#include "daemon/core/engine_impl.h"

#include "daemon/core/job_slots.h"
#include "daemon/platform/request_builder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <utility>

#include <unistd.h>

namespace bsched::core {

using storage::RunState;

namespace {

sys_seconds floor_s(SysMillis t) { return std::chrono::floor<std::chrono::seconds>(t); }

// Did the part of a job that decides its slots change?
bool same_slots(const config::Job& a, const config::Job& b) {
  if (a.enabled != b.enabled || a.settings->timezone != b.settings->timezone ||
      a.settings->dst_fold != b.settings->dst_fold)
    return false;
  if (a.schedules.size() != b.schedules.size()) return false;
  for (size_t i = 0; i < a.schedules.size(); ++i) {
    if (a.schedules[i].text() != b.schedules[i].text()) return false;
  }
  return true;
}

EngineOptions with_registry(EngineOptions o) {
  if (!o.metrics) o.metrics = std::make_shared<metrics::Registry>();
  return o;
}

// The injected timer factory (not owned), or real timers on `io`.
std::shared_ptr<TimerFactory> timer_factory(boost::asio::io_context& io, TimerFactory* injected) {
  if (injected) return std::shared_ptr<TimerFactory>(injected, [](TimerFactory*) {});
  return std::make_shared<SteadyTimerFactory>(io);
}

}  // namespace

Engine::Impl::Impl(boost::asio::io_context& io_, storage::RunStore& store_,
                   platform::PlatformClient& client_, const Clock& clock_,
                   std::shared_ptr<const config::Config> config, EngineOptions options_)
    : io(io_), store(store_), client(client_), clock(clock_), options(with_registry(std::move(options_))),
      timers(timer_factory(io_, options.timers)),
      writes(options.commit_elsewhere ? WriteBatch(io_, store_, options.commit_elsewhere)
                                      : WriteBatch(io_, store_, options.commit_thread)),
      metrics(*options.metrics),
      house(timers->make_timer(), options.prune_interval) {
  if (!options.slot_source) {
    options.slot_source = [](const config::Job& job) { return std::make_unique<JobSlots>(job); };
  }
  if (!options.random) {
    options.random = [rng = std::make_shared<std::mt19937_64>(std::random_device{}())] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(*rng);
    };
  }
  if (options.pid == 0) options.pid = static_cast<int>(::getpid());
  if (!options.may_send) options.may_send = [] { return true; };
  if (!options.run_id) options.run_id = [] { return platform::make_run_id(); };
  fire.timer = timers->make_timer();
  fire.burst.cap = timers->make_timer();
  jobs.replace(std::move(config), {});
  metrics_collector = options.metrics->add_collector([this] {
    metrics.collect({.jobs = jobs,
                     .runs = runs,
                     .auth_circuit_open = platform.auth_failed(),
                     .store_healthy = !store_health.failing()});
  });
}

// The names of the jobs in `next` the table does not have yet: their state is read from the
// store.
std::vector<std::string> Engine::Impl::unknown_jobs(const config::Config& next) const {
  std::vector<std::string> names;
  for (const auto& job : next.jobs) {
    if (!jobs.find(job.name)) names.push_back(job.name);
  }
  return names;
}

namespace {

// The stored state of each of `names` (a start or a reload; on the commit thread when there is one).
JobStates read_job_states(storage::RunStore& store, const std::vector<std::string>& names) {
  JobStates states;
  for (const auto& name : names) states.emplace(name, store.job_state(name));
  return states;
}

// The new horizons, inside the caller's transaction (a thousand new jobs are one commit).
storage::StoreResult<void> write_horizons(
    storage::RunStore& store, const std::vector<std::pair<std::string, sys_seconds>>& horizons) {
  for (const auto& [name, h] : horizons) BSCHED_TRY(store.set_horizon(name, h));
  return {};
}

}  // namespace

// The job table at start, its reads and writes made on the commit thread when there is one (a
// term starting on PostgreSQL with a thousand jobs would hold the loop for a third of a
// second). A job state that cannot be read fails the start, as the runs in flight do: taken
// for a new job, its missed slots would be neither run nor recorded.
boost::asio::awaitable<Result<void>> Engine::Impl::load_jobs_at_start() {
  const auto next = jobs.config();
  std::function<storage::StoreResult<JobStates>(storage::RunStore&)> read =
      [names = unknown_jobs(*next)](storage::RunStore& s) -> storage::StoreResult<JobStates> {
    return read_job_states(s, names);
  };
  auto states = co_await call_store(std::move(read));
  std::optional<storage::StoreError> failed;
  if (!states) {
    failed = states.error();
  } else {
    for (const auto& [name, st] : *states) {
      if (!st) failed = st.error();
    }
  }
  if (failed) {
    co_return make_error("cannot read the jobs' state from the state database: " +
                         failed->message);
  }
  auto horizons = build_jobs(next, false, *states);
  std::function<storage::StoreResult<void>()> write = [&on = store, horizons] {
    return write_horizons(on, horizons);
  };
  if (auto r = co_await writes.transact(std::move(write)); !r) store_error("set_horizon", r.error());
  co_return Result<void>{};
}

// Builds the job table for `next` and returns the new horizons to store. On a reload, a job
// whose slots changed (or that is new, or newly enabled) starts from now: nothing before the
// reload is back-filled. `states`: the stored state of each job the table did not have.
std::vector<std::pair<std::string, sys_seconds>> Engine::Impl::build_jobs(
    const std::shared_ptr<const config::Config>& next, bool reloading, const JobStates& states) {
  auto now = clock.now();
  std::vector<JobRuntime> table;
  table.reserve(next->jobs.size());
  std::vector<std::pair<std::string, sys_seconds>> horizons;
  for (const auto& job : next->jobs) {
    JobRuntime jr;
    jr.job = &job;
    jr.slots = options.slot_source(job);
    jr.active = job.enabled;
    const auto* old = jobs.find(job.name);
    bool known = old != nullptr;
    auto st = states.find(job.name);
    if (known) {
      jr.paused = old->paused;
      jr.paused_at = old->paused_at;
      jr.last_success = old->last_success;
      jr.horizon = old->horizon;
    } else if (st != states.end() && st->second) {
      jr.paused = st->second->paused;
      jr.paused_at = st->second->paused_at;
      jr.last_success = st->second->last_success_slot;
      if (st->second->horizon) jr.horizon = *st->second->horizon;
      known = st->second->horizon.has_value() && !reloading;
    } else if (st != states.end()) {
      store_error("job_state", st->second.error());
    }
    bool changed =
        !known || (reloading && !same_slots(*old->job, job)) || (reloading && !old->active);
    if (changed && job.enabled) {
      jr.horizon = std::max(jr.horizon, floor_s(now));
      horizons.emplace_back(job.name, jr.horizon);
    }
    table.push_back(std::move(jr));
  }
  jobs.replace(next, std::move(table));
  return horizons;
}

const config::Job* Engine::Impl::job_config(const std::string& name,
                                            std::shared_ptr<const config::Config>& keep) {
  keep = jobs.config();
  if (const auto* job = keep->find_job(name)) return job;
  // A run of a job no longer configured: tracked with default policies.
  auto stub = std::make_shared<config::Config>();
  config::Job j;
  j.name = name;
  stub->jobs.push_back(std::move(j));
  keep = stub;
  return &stub->jobs.front();
}

std::shared_ptr<Tracked> Engine::Impl::resume_run(const storage::RunRow& row) {
  auto t = std::make_shared<Tracked>();
  t->row = row;
  t->job = job_config(row.job, t->config);
  t->timer = timers->make_timer();
  t->deadline = submit_deadline(row.slot, t->job->settings->catchup_window);
  t->mode = resume_action(row);
  spdlog::info("engine.recovered job={} run={} state={} action={}", row.job, row.id,
               storage::to_string(row.state), to_string(t->mode));
  if (!row.execution_id.empty()) runs.claim(row.execution_id, clock.now());
  runs.add(t);
  return t;
}

// Its reads are made on the commit thread when there is one.
boost::asio::awaitable<Result<void>> Engine::Impl::recover() {
  std::function<storage::StoreResult<std::vector<storage::RunRow>>(storage::RunStore&)> read =
      [](storage::RunStore& s) { return s.non_terminal_runs(); };
  auto rows = co_await call_store(std::move(read));
  if (!rows) {
    co_return make_error("cannot read the runs in flight from the state database: " +
                         rows.error().message);
  }
  for (const auto& row : *rows) resume_run(row);
  if (auto r = co_await claim_recent_records(); !r) co_return r;
  std::function<storage::StoreResult<storage::StoreTotals>(storage::RunStore&)> count =
      [](storage::RunStore& s) { return s.totals(); };
  if (auto totals = co_await call_store(std::move(count))) {
    metrics.seed(*totals);
  } else {
    store_error("totals", totals.error());  // the counters start from zero
  }
  for (const auto& [id, t] : runs) {
    t->wait = stays_queued_behind(*t) ? Tracked::Wait::queued : Tracked::Wait::none;
  }
  co_return Result<void>{};
}

// A slot batch met runs stored already (its earlier commit stored them though the answer was
// lost; PostgreSQL: the connection closed after COMMIT): the stored runs no tracker follows
// are resumed as a start resumes them, so none is left in flight untracked. A scheduled run
// of a queue job behind one already sent stays queued.
boost::asio::awaitable<void> Engine::Impl::adopt_untracked() {
  std::function<storage::StoreResult<std::vector<storage::RunRow>>(storage::RunStore&)> read =
      [](storage::RunStore& s) { return s.non_terminal_runs(); };
  auto rows = co_await call_store(std::move(read));
  if (!rows) {
    store_error("non_terminal_runs", rows.error());
    fire.adopt = true;  // read again after the next batch
    co_return;
  }
  if (life.phase != Phase::running) co_return;
  std::set<std::int64_t> tracked;
  for (const auto& [id, t] : runs) tracked.insert(id);
  std::vector<std::shared_ptr<Tracked>> adopted;
  for (const auto& row : *rows) {
    if (!tracked.count(row.id)) adopted.push_back(resume_run(row));
  }
  for (auto& t : adopted) {
    const bool queued = stays_queued_behind(*t);
    t->wait = queued ? Tracked::Wait::queued : Tracked::Wait::none;
    if (!queued) spawn_tracker(t);
  }
}

bool Engine::Impl::stays_queued_behind(const Tracked& t) const {
  bool other_sent = false;
  for (const auto& [id, other] : runs) {
    other_sent = other_sent || (other.get() != &t && other->row.job == t.row.job &&
                                other->row.state != RunState::scheduled);
  }
  return stays_queued(t.row, t.job->settings->overlap, other_sent);
}

// The claims of a run that ended before a restart are gone with the old process, yet its
// record can still show in the reconcile window of a run resumed uncertain or polled (whose
// async result may have expired, so that it reconciles as well): so for each job with such a
// run, the execution ids of its recently finished runs (recent_finishes, from the earliest
// such send) are claimed again. A read that fails fails the start: without those claims a
// resumed run could take a record another run started (found by the pair simulation, seed 7
// with lost commit answers, in a store outage at a term's start).
boost::asio::awaitable<Result<void>> Engine::Impl::claim_recent_records() {
  // By job: the earliest send of its uncertain runs, and the job.
  std::map<std::string, std::pair<SysMillis, const config::Job*>> since;
  for (const auto& [id, t] : runs) {
    // A polled run reconciles too once its async result has expired (204).
    if (t->mode == RunAction::submit || !t->row.execution_id.empty()) continue;
    auto sent = sent_at(t->row);
    auto [it, fresh] = since.try_emplace(t->row.job, sent, t->job);
    it->second.first = std::min(it->second.first, sent);
  }
  struct Look {
    std::string job;
    RecentFinishes recent;
    storage::StoreResult<std::vector<std::string>> ids = std::vector<std::string>{};
  };
  std::vector<Look> looks;
  for (const auto& [job, entry] : since) looks.push_back({job, recent_finishes(*entry.second, entry.first)});
  if (looks.empty()) co_return Result<void>{};
  std::function<storage::StoreResult<std::vector<Look>>(storage::RunStore&)> read =
      [looks = std::move(looks)](storage::RunStore& s) mutable
      -> storage::StoreResult<std::vector<Look>> {
    for (auto& l : looks) {
      l.ids = s.finished_execution_ids(l.job, l.recent.slot_since, l.recent.finished_since);
    }
    return looks;
  };
  auto read_back = co_await call_store(std::move(read));
  const auto cannot = [](const storage::StoreError& e) {
    return make_error("cannot read the recently finished runs from the state database: " +
                      e.message);
  };
  if (!read_back) co_return cannot(read_back.error());
  for (const auto& l : *read_back) {
    if (!l.ids) co_return cannot(l.ids.error());
  }
  for (const auto& l : *read_back) {
    for (const auto& e : *l.ids) runs.claim(e, clock.now());
  }
  co_return Result<void>{};
}

Engine::Engine(boost::asio::io_context& io, storage::RunStore& store,
               platform::PlatformClient& client, const Clock& clock,
               std::shared_ptr<const config::Config> config)
    : Engine(io, store, client, clock, std::move(config), EngineOptions{}) {}

Engine::Engine(boost::asio::io_context& io, storage::RunStore& store,
               platform::PlatformClient& client, const Clock& clock,
               std::shared_ptr<const config::Config> config, EngineOptions options)
    : m_impl(std::make_shared<Impl>(io, store, client, clock, std::move(config),
                                    std::move(options))) {}

Engine::~Engine() {
  if (!m_impl) return;
  m_impl->life.phase = Impl::Phase::ended;
  m_impl->fire.timer->cancel();
  m_impl->house.timer().cancel();
  for (auto& [id, t] : m_impl->runs) t->timer->cancel();
}

boost::asio::awaitable<Result<void>> Engine::start() {
  auto& d = *m_impl;
  d.house.started(d.clock.now(), d.clock.steady_now());
  if (auto r = co_await d.load_jobs_at_start(); !r) co_return r;
  if (auto r = co_await d.recover(); !r) co_return r;
  // Catch-up: the slots missed while the daemon was down, per each job's catch-up rules.
  co_await d.fire_due(d.clock.now(), true, k_reason_daemon_down, SIZE_MAX, SlotPass::catch_up);
  // Trackers may start (and even end) inline, so spawn them from a copy of the table.
  std::vector<std::shared_ptr<Tracked>> resumed;
  for (auto& [id, t] : d.runs) {
    if (t->wait != Tracked::Wait::queued && !t->tracking) resumed.push_back(t);
  }
  for (auto& t : resumed) d.spawn_tracker(t);
  d.life.phase = Impl::Phase::running;
  d.write_heartbeat();
  d.spawn(d.fire_loop(), "fire loop");
  d.spawn(d.maintenance_loop(), "maintenance loop");
  spdlog::info("engine.started jobs={} in_flight={} fingerprint={}", stats().jobs, d.runs.size(),
               d.jobs.config()->fingerprint);
  d.next_reload();  // a reload that arrived during the start
  co_return Result<void>{};
}

void Engine::reload(std::shared_ptr<const config::Config> config) {
  if (!config) return;
  m_impl->reloads.waiting = std::move(config);
  m_impl->next_reload();
}

void Engine::Impl::next_reload() {
  while (life.phase == Phase::running) {
    if (reloads.ready) {
      if (fire.writing) return;  // the batch's write ends with next_reload()
      auto config = std::exchange(reloads.ready, nullptr);
      reload(config, std::exchange(reloads.states, {}));
      continue;
    }
    if (reloads.reading || !reloads.waiting) return;
    auto config = std::exchange(reloads.waiting, nullptr);
    if (!writes.off_loop()) {  // SQLite: read here and now, as before
      reloads.states = read_job_states(store, unknown_jobs(*config));
      reloads.ready = std::move(config);
      continue;
    }
    reloads.reading = true;
    spawn(read_for_reload(std::move(config)), "reload");
    return;
  }
}

boost::asio::awaitable<void> Engine::Impl::read_for_reload(
    std::shared_ptr<const config::Config> config) {
  std::function<storage::StoreResult<JobStates>(storage::RunStore&)> read =
      [names = unknown_jobs(*config)](storage::RunStore& s) -> storage::StoreResult<JobStates> {
    return read_job_states(s, names);
  };
  auto states = co_await call_store(std::move(read));
  reloads.reading = false;
  if (!states) {
    store_error("job_state", states.error());
    states = JobStates{};  // the new jobs start unpaused, from now
  }
  reloads.states = std::move(*states);
  reloads.ready = std::move(config);
  next_reload();
}

void Engine::Impl::reload(std::shared_ptr<const config::Config> config, const JobStates& states) {
  auto horizons = build_jobs(config, true, states);
  std::function<storage::StoreResult<void>()> write = [&on = store, horizons] {
    return write_horizons(on, horizons);
  };
  // Written ahead of the next slot batch either way: the commit thread takes them in order.
  if (writes.off_loop()) {
    spawn(store_horizons(std::move(write)), "horizons");
  } else if (auto r = store.in_transaction(write); !r) {
    store_error("set_horizon", r.error());
  }
  // The auth circuit is closed again: the next call tells whether the new credentials work,
  // and the triggers it held go now (within their deadlines).
  client.reset_auth();
  platform.credentials_changed();
  release_auth_holds();
  house.config_loaded(clock.now());
  spdlog::info("engine.reloaded jobs={} fingerprint={}", jobs.active(), config->fingerprint);
  write_heartbeat();
  wake_fire_loop();
}

boost::asio::awaitable<void> Engine::Impl::store_horizons(
    std::function<storage::StoreResult<void>()> write) {
  if (auto r = co_await writes.transact(std::move(write)); !r) store_error("set_horizon", r.error());
}

void Engine::on_clock_step() {
  auto& d = *m_impl;
  spdlog::warn("engine.clock_step now={}", format_utc_ms(d.clock.now()));
  d.fire.next = Impl::FireLoop::Pass::clock_step;
  d.wake_fire_loop();
}

void Engine::check_commands() { m_impl->check_commands(); }

boost::asio::awaitable<void> Engine::stop() {
  auto& d = *m_impl;
  if (d.stopping()) co_return;
  d.life.phase = Impl::Phase::stopping;
  spdlog::info("engine.stopping in_flight={}", d.runs.size());
  d.fire.timer->cancel();
  d.fire.burst.cap->cancel();
  d.house.timer().cancel();
  for (auto& [id, t] : d.runs) t->timer->cancel();
  // Trackers waiting on their timers end at once; those inside a platform call end when the
  // call returns (its own deadline bounds that), and those waiting for a commit on the
  // commit thread when it ends (the store's statement deadline bounds that).
  co_await d.drain();
  d.life.phase = Impl::Phase::ended;
  spdlog::info("engine.stopped in_flight={}", d.runs.size());
}

EngineStats Engine::stats() const {
  const auto& d = *m_impl;
  EngineStats s;
  s.jobs = d.jobs.active();
  s.in_flight = static_cast<int>(d.runs.size());
  s.failures = d.house.failures();
  s.claimed = static_cast<int>(d.runs.claim_count());
  s.platform = d.platform.describe();
  s.store = d.store_health.describe();
  s.store_healthy = !d.store_health.failing();
  s.auth_circuit_open = d.platform.auth_failed();
  return s;
}

}  // namespace bsched::core
