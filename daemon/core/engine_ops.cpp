// The engine's housekeeping: operator commands, the heartbeat, retention, the platform's
// health as the log and `status` see it, and coroutine bookkeeping.
#include "daemon/core/engine_impl.h"

#include "config/escape.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

namespace bsched::core {

using storage::RunState;

namespace {

constexpr Millis k_drain_limit = std::chrono::seconds(3);

}  // namespace

void Engine::Impl::store_error(std::string_view op, const storage::StoreError& e) {
  store_health.failed(op, e, clock.now());
}

void Engine::Impl::store_ok() {
  if (!store_health.failing()) return;
  store_health.succeeded(clock.now());
  write_heartbeat();  // tells `status` the outage is over
}

void Engine::Impl::check_commands() {
  if (life.phase != Phase::running) return;
  if (commands.taking) {
    commands.again = true;
    return;
  }
  commands.taking = true;
  spawn(take_commands(), "commands");
}

// Taken commands are run whatever the phase: they are gone from the queue, and what they
// write (a pause, a manual run for the next term to send) is the store's, not this term's.
boost::asio::awaitable<void> Engine::Impl::take_commands() {
  do {
    commands.again = false;
    const auto now = clock.now();
    std::function<storage::StoreResult<std::vector<storage::Command>>(storage::RunStore&)> take =
        [now](storage::RunStore& s) { return s.take_commands(now); };
    auto taken = co_await call_store(std::move(take));
    if (!taken) {
      store_error("take_commands", taken.error());
      break;
    }
    for (const auto& c : *taken) co_await run_command(c, now);
  } while (commands.again && !stopping());
  commands.taking = false;
}

// What a command writes goes through call_store too; the job table is read again once the
// write is back, as a reload may have replaced it meanwhile.
boost::asio::awaitable<void> Engine::Impl::run_command(const storage::Command& c, SysMillis now) {
  const auto plan = plan_command(c, jobs.find(c.job), now);
  switch (plan.kind) {
    case CommandPlan::Kind::set_paused: {
      std::function<storage::StoreResult<void>(storage::RunStore&)> write =
          [c, plan, now](storage::RunStore& s) {
            return s.set_paused(c.job, plan.pause, plan.note, c.requested_by, now);
          };
      if (auto r = co_await call_store(std::move(write)); !r) store_error("set_paused", r.error());
      if (auto* jr = jobs.find(c.job)) {
        jr->paused = plan.pause;
        jr->paused_at = plan.pause ? std::optional<SysMillis>(c.requested_at) : std::nullopt;
      }
      spdlog::info("command.{} job=\"{}\" by=\"{}\" note=\"{}\"", plan.pause ? "pause" : "resume",
                   esc(c.job), esc(c.requested_by), esc(plan.note));
      co_return;
    }
    case CommandPlan::Kind::reject:
      spdlog::warn("command.rejected job=\"{}\" reason=\"{}\"", esc(c.job), esc(plan.reason));
      co_return;
    case CommandPlan::Kind::start_manual: co_await start_manual(c, plan, now);
  }
}

boost::asio::awaitable<void> Engine::Impl::start_manual(const storage::Command& c,
                                                        const CommandPlan& plan, SysMillis now) {
  storage::NewRun n{options.run_id(), c.job, storage::Trigger::manual, plan.slot, {}};
  std::function<storage::StoreResult<storage::RunRow>(storage::RunStore&)> create =
      [n, now](storage::RunStore& s) { return s.create_run(n, now); };
  auto row = co_await call_store(std::move(create));
  if (!row) {
    store_error("create_run", row.error());
    co_return;
  }
  if (life.phase == Phase::ended) co_return;  // stored: the next term resumes it
  auto t = std::make_shared<Tracked>();
  t->row = *row;
  t->job = job_config(c.job, t->config);  // the job as configured now
  t->timer = timers->make_timer();
  t->deadline = plan.deadline;
  t->extra = plan.properties;
  runs.add(t);
  spdlog::info("command.trigger job={} run={} run_id={} by=\"{}\"", c.job, t->row.id,
               t->row.run_id, esc(c.requested_by));
  spawn_tracker(t);
}

boost::asio::awaitable<void> Engine::Impl::maintenance_loop() {
  while (!stopping()) {
    house.timer().expires_after(options.maintenance_interval);
    // Named: a co_await inside the condition miscompiles under g++ 12 (see burst_hold_cap).
    const bool expired = co_await house.timer().wait();
    if (!expired || stopping()) continue;
    write_heartbeat();
    check_commands();
    runs.forget_old_claims(clock.now());
    check_stuck(clock.now());
    if (house.take_prune_turn(clock.steady_now())) co_await prune();
  }
}

// Old finished runs in batches, each on the commit thread when there is one.
boost::asio::awaitable<void> Engine::Impl::prune() {
  const auto before = clock.now() - jobs.config()->storage.retention;
  std::function<storage::StoreResult<Maintenance::PruneStep>(storage::RunStore&)> step_fn =
      [before](storage::RunStore& s) { return Maintenance::prune_step(s, before); };
  for (int i = 0; i < 1000 && !stopping(); ++i) {
    auto step = co_await call_store(step_fn);
    if (!step) {
      store_error("prune", step.error());
      break;
    }
    if (step->deleted > 0) {
      spdlog::info("store.pruned count={} before={}", step->deleted, format_utc_ms(before));
    }
    if (!step->more) break;
    co_await boost::asio::post(io, boost::asio::use_awaitable);
  }
}

// The heartbeat is taken now and written by a coroutine of its own: on the commit thread
// when there is one, in order with the others (the last one asked for lands last).
void Engine::Impl::write_heartbeat() {
  spawn(beat(house.heartbeat(clock.now(), options.pid, jobs.config()->fingerprint,
                             platform.describe(), store_health.describe())),
        "heartbeat");
}

boost::asio::awaitable<void> Engine::Impl::beat(storage::Heartbeat hb) {
  std::function<storage::StoreResult<void>(storage::RunStore&)> write =
      [hb = std::move(hb)](storage::RunStore& s) { return s.write_heartbeat(hb); };
  auto r = co_await call_store(std::move(write));
  if (!r) {
    store_error("write_heartbeat", r.error());
    co_return;
  }
  store_ok();
}

// Rewrites the heartbeat when the platform's health changed (PlatformHealth logs it).
void Engine::Impl::note_platform(const platform::CallError* error) {
  bool was_open = platform.auth_failed();
  bool changed = platform.note(error);
  if (!was_open && platform.auth_failed()) auth_opened(clock.now());
  if (platform.note_deprecations(client.deprecations())) changed = true;
  if (changed) write_heartbeat();
}

void Engine::Impl::spawn(boost::asio::awaitable<void> work, const char* what) {
  ++life.coroutines;
  boost::asio::co_spawn(io, std::move(work), [self = shared_from_this(), what](std::exception_ptr e) {
    --self->life.coroutines;
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("engine.error where=\"{}\" message=\"{}\"", what, esc(ex.what()));
    } catch (...) {
      spdlog::error("engine.error where=\"{}\" message=\"unknown exception\"", what);
    }
  });
}

boost::asio::awaitable<void> Engine::Impl::drain() {
  // First let the woken coroutines run (no clock involved), then wait briefly for those
  // inside a platform call.
  for (int i = 0; i < 100 && life.coroutines > 0; ++i) {
    co_await boost::asio::post(io, boost::asio::use_awaitable);
  }
  // On the engine's clock and timers, so a simulated stop waits in simulated time.
  auto pause = timers->make_timer();
  const auto limit = clock.steady_now() + k_drain_limit;
  while (life.coroutines > 0 && clock.steady_now() < limit) {
    pause->expires_after(std::chrono::milliseconds(10));
    co_await pause->wait();
  }
}


}  // namespace bsched::core
