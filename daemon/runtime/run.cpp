#include "daemon/runtime/run.h"

#include "base/clock.h"
#include "config/loader.h"
#include "daemon/alerts/dispatcher.h"
#include "daemon/alerts/sink_sender.h"
#include "daemon/core/engine.h"
#include "daemon/metrics/registry.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/runtime/daemon_metrics.h"
#include "daemon/runtime/dev_mode.h"
#include "daemon/runtime/engine_scheduler.h"
#include "daemon/runtime/instance_lock.h"
#include "daemon/runtime/logging.h"
#include "daemon/runtime/private_memory.h"
#include "daemon/runtime/supervisor.h"
#include "daemon/runtime/web_listener.h"
#include "daemon/sim/simulator.h"
#include "storage/sqlite_run_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <exception>
#include <memory>
#include <optional>

namespace bsched::runtime {

namespace asio = boost::asio;

namespace {

constexpr int k_failure = 1;

// Fatal conditions before the loop runs: one clear line on stderr (and in the journal).
int fail(const std::string& message) {
  spdlog::critical("daemon.start_failed error=\"{}\"", message);
  return k_failure;
}

// The simulator, the temporary directory of `run --dev`, and the note that tells the other
// commands where it is.
struct DevMode {
  SystemClock clock;  // the simulator's platform time
  std::unique_ptr<sim::Simulator> simulator;
  std::optional<DevDirectory> dir;
  std::optional<DevPointer> pointer;
};

Result<void> start_dev(asio::io_context& io, DevMode& dev, config::EnvTokens& env_tokens) {
  auto options = dev_sim_options();
  dev.simulator = std::make_unique<sim::Simulator>(io, dev.clock, options);
  if (auto r = dev.simulator->start(); !r) {
    return make_error("cannot start the built-in simulator: " + r.error().message);
  }
  // The configuration names this variable's token; the loader finds it here (the variable
  // itself is never set), and the simulator checks the same token.
  env_tokens[k_dev_token_env] = config::Secret(options.token);
  auto dir = DevDirectory::create({dev.simulator->base_url(), options.account_id, options.username});
  if (!dir) return dir.error();
  dev.dir.emplace(std::move(*dir));
  if (auto pointer = DevPointer::publish(dev.dir->config_path())) {
    dev.pointer.emplace(std::move(*pointer));
  } else {
    spdlog::warn("dev.pointer_failed error=\"{}\" effect=\"give the other commands --config\"",
                 pointer.error().message);
  }
  std::fputs(dev_banner(*dev.dir, dev.simulator->base_url()).c_str(), stdout);
  std::fflush(stdout);
  return {};
}

Result<std::shared_ptr<const config::Config>> load(const std::string& path,
                                                    const config::LoadOptions& options) {
  auto loaded = config::load_config(path, options);
  if (!loaded) {
    auto errors = config::print_diagnostics(stderr, loaded.error());
    return make_error(fmt::format("the configuration {} has {} error{}; fix it (see `boomi-sched "
                                  "validate --config {}`) and start again",
                                  path, errors, errors == 1 ? "" : "s", path));
  }
  for (const auto& w : loaded->warnings) spdlog::warn("config.warning problem=\"{}\"", w.to_string());
  return loaded->config;
}

storage::OpenOptions store_options() {
  storage::OpenOptions o;
  o.mode = storage::OpenMode::read_write;
  o.create = true;
  o.verify = true;  // a damaged file stops the daemon instead of being written to
  return o;
}

// Gives the platform client new settings when a reload changed them.
void update_client(platform::PlatformClient& client, const config::Config& old,
                   const config::Config& next) {
  if (same_platform(old.platform, next.platform)) return;
  if (client.update_platform(next.platform)) {
    spdlog::info("platform.settings_updated account={} base_url={}", next.platform.account_id,
                 next.platform.base_url);
  } else {
    spdlog::warn("config.restart_needed setting=platform");
  }
}

// Writes the daemon's notes for `status`; a failure is logged and otherwise harmless (the
// heartbeat and the pid still tell whether the daemon runs).
void write_notes(storage::SqliteRunStore& store, const storage::DaemonNotes& notes) {
  if (auto r = store.write_daemon_notes(notes); !r) {
    spdlog::warn("store.notes_failed error=\"{}\"", r.error().message);
  }
}

SysMillis wall_now() {
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

// Starts the HTTP listener. A port in use stops a production daemon (its operator chose the
// address), but not `run --dev`: a second dev daemon runs on without the listener.
bool start_listener(WebListener& listener, const config::Config& config, bool dev) {
  auto r = listener.start(config.http);
  if (r) {
    if (dev && !listener.address().empty())
      std::printf("  status page: http://%s/\n", listener.address().c_str());
    std::fflush(stdout);
    return true;
  }
  if (dev) {
    spdlog::warn("http.bind_failed listen={} error=\"{}\" effect=\"running without the HTTP "
                 "listener (another daemon may hold the port)\"",
                 config.http.listen, r.error().message);
    return true;
  }
  spdlog::critical("http.bind_failed listen={} error=\"{}\"", config.http.listen,
                   r.error().message);
  return false;
}

// /metrics: the registry's exposition, its collectors run at each scrape.
std::function<std::string()> metrics_source(std::shared_ptr<metrics::Registry> registry) {
  return [registry] { return registry->render(); };
}

// Everything after the lock: store, client, engine, supervisor, listener, loop.
int serve(asio::io_context& io, StopDeadline& deadline, const std::string& config_path,
          const config::LoadOptions& load_options, std::shared_ptr<const config::Config> config,
          bool dev) {
  const std::string db = config->storage.path;
  auto store = storage::SqliteRunStore::open(db, store_options());
  if (!store) {
    return fail(fmt::format("cannot use the state database {}: {}", db, store.error().message));
  }
  // A fresh start: no stop and no refused reload of an earlier daemon applies any more.
  storage::DaemonNotes notes{.pid = ::getpid()};
  write_notes(**store, notes);
  // The metrics every part writes to; GET /metrics renders them.
  auto registry = std::make_shared<metrics::Registry>();
  DaemonMetrics daemon_metrics(*registry, wall_now());
  // One clock and one timer factory for the engine, the platform client and the alerts.
  SystemClock clock;
  SteadyTimerFactory timers(io);
  auto client =
      platform::make_platform_client(io, config->platform, clock, timers, {.metrics = registry});
  // The alert outbox's sender; the engine wakes it when it wrote an event.
  alerts::SinkSender alert_sender(io);
  alerts::DispatcherOptions alert_options;
  alert_options.link_base = config->http.public_url;  // messages link to <public_url>/jobs/<job>
  while (alert_options.link_base.ends_with('/')) alert_options.link_base.pop_back();
  alerts::Dispatcher alert_dispatcher(**store, clock, timers, alert_sender, config->alerts,
                                      alert_options);
  auto engine = std::make_unique<core::Engine>(
      io, **store, *client, clock, config,
      core::EngineOptions{.timers = &timers,
                          .metrics = registry,
                          .on_alert = [&] { alert_dispatcher.wake(); }});
  EngineScheduler scheduler(*engine);
  SdNotifier notifier;
  SupervisorSettings settings;
  settings.config_path = config_path;
  settings.load_options = load_options;
  settings.db_path = db;
  Supervisor supervisor(io, scheduler, notifier, deadline, settings, config);
  supervisor.set_reload_hook([&](const config::Config& old, const config::Config& next) {
    update_client(*client, old, next);
    if (!(old.http == next.http)) {
      spdlog::warn("config.restart_needed setting=http running={} configured={}",
                   old.http.listen, next.http.listen);
    }
    alert_dispatcher.reload(next.alerts);
  });
  // A refused reload stays visible in `status` until a reload succeeds.
  supervisor.set_reload_outcome_hook([&](const ReloadOutcome& outcome) {
    notes.reload_failed_at = outcome.failed ? std::optional<SysMillis>(wall_now()) : std::nullopt;
    notes.reload_errors = outcome.errors;
    notes.reload_error = outcome.first_error;
    write_notes(**store, notes);
    daemon_metrics.reloaded(outcome, wall_now());
  });

  WebListener listener(io, *config,
                       WebWiring{.config_path = config_path,
                                 .config = [&supervisor] { return supervisor.config(); },
                                 .stats = [&engine] { return engine->stats(); },
                                 .metrics = metrics_source(registry)});
  if (!start_listener(listener, *config, dev)) {
    return fail(fmt::format("cannot listen on http.listen {}; free the port, choose another "
                            "address, or set http.listen: \"\" to run without the listener",
                            config->http.listen));
  }

  int code = k_failure;
  asio::co_spawn(io, supervisor.run(), [&](std::exception_ptr e, int c) {
    code = e ? k_failure : c;
    if (e) spdlog::critical("daemon.internal_error where=supervisor");
    io.stop();
  });
  asio::co_spawn(io, alert_dispatcher.run(), [](std::exception_ptr e) {
    if (e) spdlog::critical("daemon.internal_error where=alert_dispatcher");
  });
  io.run();
  // The loop is stopped: tear down in dependency order, then close the database.
  alert_dispatcher.stop();
  listener.stop();
  engine.reset();
  client.reset();
  // `status` shows a clean stop, and runs in flight as no longer tracked.
  notes.stopped_at = wall_now();
  write_notes(**store, notes);
  store->reset();
  return code;
}

}  // namespace

int run_daemon(const RunOptions& options) {
  auto level = resolve_log_level(options.log_level);
  if (!level) {
    std::fprintf(stderr, "boomi-sched: %s\n", level.error().message.c_str());
    return 2;
  }
  setup_logging(*level, stderr_is_journal());
  if (auto r = make_memory_private(); !r)
    spdlog::warn("daemon.memory_not_private error=\"{}\"", r.error().message);
  // token_env tokens, kept here once removed from the environment (reloads read them here).
  config::EnvTokens env_tokens;
  config::LoadOptions load_options{.env_tokens = &env_tokens};
  StopDeadline deadline;  // declared first: outlives everything the stop waits for
  asio::io_context io;
  DevMode dev;
  std::string config_path;
  if (options.dev && options.config) {
    std::fprintf(stderr, "boomi-sched: run --dev runs its own demo jobs against the built-in "
                         "simulator and does not read --config; to try %s against the "
                         "simulator, start `boomi-sched sim` and point its platform.base_url "
                         "at the address it prints\n",
                 options.config->c_str());
    return 2;
  }
  if (options.dev) {
    if (auto r = start_dev(io, dev, env_tokens); !r) return fail(r.error().message);
    config_path = dev.dir->config_path();
  } else {
    config_path = config::resolve_config_path(options.config);
  }
  auto config = load(config_path, load_options);
  if (!config) return fail(config.error().message);
  if (!(*config)->storage.postgres.empty()) {
    return fail("storage.postgres: the daemon does not run on PostgreSQL yet (docs/ha.md); "
                "status, history, pause, resume, trigger and exec use it already. Remove "
                "storage.postgres to run on the SQLite file at storage.path");
  }
  auto lock = InstanceLock::acquire((*config)->storage.path);
  if (!lock) return fail(lock.error().message);
  spdlog::info("daemon.starting version={} pid={} config={} db={}", BSCHED_VERSION, ::getpid(),
               config_path, (*config)->storage.path);
  int code = serve(io, deadline, config_path, load_options, *config, options.dev);
  deadline.disarm();
  return code;
}

}  // namespace bsched::runtime
