// The engine's housekeeping: operator commands, the heartbeat, retention, the platform's
// health as the log and `status` see it, and coroutine bookkeeping.
#include "daemon/core/engine_impl.h"

#include "config/escape.h"
#include "daemon/platform/request_builder.h"
#include "storage/sqlite_run_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <spdlog/spdlog.h>

namespace bsched::core {

using storage::RunState;

namespace {

constexpr int k_prune_batch = 500;
constexpr Millis k_drain_limit = std::chrono::seconds(3);

// trigger args: {"properties": {"NAME": "VALUE"}}; anything else is ignored.
std::vector<std::pair<std::string, std::string>> trigger_properties(const std::string& args) {
  std::vector<std::pair<std::string, std::string>> out;
  boost::system::error_code ec;
  auto v = boost::json::parse(args, ec);
  if (ec || !v.is_object()) return out;
  const auto* props = v.as_object().if_contains("properties");
  if (!props || !props->is_object()) return out;
  for (const auto& [k, val] : props->as_object()) {
    if (val.is_string()) out.emplace_back(std::string(k), std::string(val.as_string()));
  }
  return out;
}

std::string pause_note(const std::string& args) {
  boost::system::error_code ec;
  auto v = boost::json::parse(args, ec);
  if (ec || !v.is_object()) return {};
  const auto* note = v.as_object().if_contains("note");
  return note && note->is_string() ? std::string(note->as_string()) : std::string();
}

}  // namespace

void Engine::Impl::store_error(std::string_view op, const storage::StoreError& e) {
  store_health.failed(op, e, clock.now());
}

void Engine::Impl::store_ok() {
  if (!store_health.failing()) return;
  store_health.succeeded(clock.now());
  write_heartbeat();  // tells `status` the outage is over
}

void Engine::Impl::take_commands() {
  auto now = clock.now();
  auto commands = store.take_commands(now);
  if (!commands) {
    store_error("take_commands", commands.error());
    return;
  }
  for (const auto& c : *commands) run_command(c, now);
}

void Engine::Impl::run_command(const storage::Command& c, SysMillis now) {
  using storage::CommandKind;
  auto* jr = jobs.find(c.job);
  if (c.kind != CommandKind::trigger) {
    bool pause = c.kind == CommandKind::pause;
    auto note = pause ? pause_note(c.args_json) : std::string();
    if (auto r = store.set_paused(c.job, pause, note, c.requested_by, now); !r) {
      store_error("set_paused", r.error());
    }
    if (jr) {
      jr->paused = pause;
      jr->paused_at = pause ? std::optional<SysMillis>(c.requested_at) : std::nullopt;
    }
    spdlog::info("command.{} job=\"{}\" by=\"{}\" note=\"{}\"", pause ? "pause" : "resume",
                 esc(c.job), esc(c.requested_by), esc(note));
    return;
  }
  if (!jr) {
    spdlog::warn("command.rejected job=\"{}\" reason=\"no such job in the configuration\"",
                 esc(c.job));
    return;
  }
  const auto& job = *jr->job;
  auto deadline = submit_deadline(std::chrono::floor<std::chrono::seconds>(c.requested_at),
                                  job.settings->catchup_window);
  if (now > deadline) {
    spdlog::warn("command.rejected job={} reason=\"requested {} ago, past catchup_window\"", c.job,
                 format_duration(std::chrono::duration_cast<Millis>(now - c.requested_at)));
    return;
  }
  storage::NewRun n{options.run_id(), job.name, storage::Trigger::manual,
                    std::chrono::floor<std::chrono::seconds>(c.requested_at), {}};
  auto row = store.create_run(n, now);
  if (!row) {
    store_error("create_run", row.error());
    return;
  }
  auto t = std::make_shared<Tracked>();
  t->row = *row;
  t->config = jobs.config();
  t->job = &job;
  t->timer = timers->make_timer();
  t->deadline = deadline;
  t->extra = trigger_properties(c.args_json);
  runs.add(t);
  spdlog::info("command.trigger job={} run={} run_id={} by=\"{}\"", job.name, t->row.id,
               t->row.run_id, esc(c.requested_by));
  spawn_tracker(t);
}

boost::asio::awaitable<void> Engine::Impl::maintenance_loop() {
  auto last_prune = clock.steady_now() - options.prune_interval;
  while (!stopping()) {
    house.timer->expires_after(options.maintenance_interval);
    if (!co_await house.timer->wait() || stopping()) continue;
    write_heartbeat();
    take_commands();
    runs.forget_old_claims(clock.now());
    check_stuck(clock.now());
    if (clock.steady_now() - last_prune >= options.prune_interval) {
      last_prune = clock.steady_now();
      auto before = clock.now() - jobs.config()->storage.retention;
      // Small batches with a yield between, so a large prune never stalls the loop.
      for (int i = 0; i < 1000 && !stopping(); ++i) {
        auto n = store.prune(before, k_prune_batch);
        if (!n) {
          store_error("prune", n.error());
          break;
        }
        if (*n > 0) spdlog::info("store.pruned count={} before={}", *n, format_utc_ms(before));
        if (*n < k_prune_batch) break;
        co_await boost::asio::post(io, boost::asio::use_awaitable);
      }
    }
  }
}

void Engine::Impl::write_heartbeat() {
  storage::Heartbeat hb;
  hb.pid = options.pid;
  hb.started_at = house.started_at;
  hb.updated_at = clock.now();
  hb.config_loaded_at = house.config_loaded_at;
  hb.config_fingerprint = jobs.config()->fingerprint;
  hb.platform_state = platform.describe();
  hb.store_state = store_health.describe();
  auto r = store.write_heartbeat(hb);
  if (!r) return store_error("write_heartbeat", r.error());
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
  ++coroutines;
  boost::asio::co_spawn(io, std::move(work), [self = shared_from_this(), what](std::exception_ptr e) {
    --self->coroutines;
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
  for (int i = 0; i < 100 && coroutines > 0; ++i) {
    co_await boost::asio::post(io, boost::asio::use_awaitable);
  }
  boost::asio::steady_timer pause(io);
  auto limit = std::chrono::steady_clock::now() + k_drain_limit;
  while (coroutines > 0 && std::chrono::steady_clock::now() < limit) {
    pause.expires_after(std::chrono::milliseconds(10));
    co_await pause.async_wait(boost::asio::use_awaitable);
  }
}


}  // namespace bsched::core
