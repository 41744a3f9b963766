#include "daemon/runtime/run.h"

#include "base/clock.h"
#include "config/loader.h"
#include "daemon/alerts/sink_sender.h"
#include "daemon/metrics/registry.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/runtime/daemon_metrics.h"
#include "daemon/runtime/dev_mode.h"
#include "daemon/ha/lease_keeper.h"
#include "daemon/runtime/leader_scheduler.h"
#include "daemon/runtime/term.h"
#include "daemon/runtime/instance_lock.h"
#include "daemon/runtime/logging.h"
#include "daemon/runtime/private_memory.h"
#include "daemon/runtime/supervisor.h"
#include "daemon/runtime/web_listener.h"
#include "daemon/sim/simulator.h"
#include "storage/pg/pg_lease.h"
#include "storage/pg/pg_run_store.h"
#include "storage/sqlite_run_store.h"

#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

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
void write_notes(storage::StateStore& store, const storage::DaemonNotes& notes) {
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

// The store the daemon runs on: the SQLite file at storage.path, or PostgreSQL.
struct OpenedStore {
  std::unique_ptr<storage::StateStore> store;
  storage::pg::PgRunStore* pg = nullptr;  // the same store, when it is PostgreSQL
  std::string where;                      // for logs: the file, or host/port/dbname/user
};

// Statements of the PostgreSQL store end well before a lease could run out unnoticed.
Millis pg_statement_deadline(const config::Ha& ha) {
  return std::clamp<Millis>(ha.lease / 3, std::chrono::seconds(1), std::chrono::seconds(5));
}

Result<OpenedStore> open_store(const config::Config& config) {
  OpenedStore out;
  if (config.storage.postgres.empty()) {
    auto store = storage::SqliteRunStore::open(config.storage.path, store_options());
    if (!store)
      return make_error(fmt::format("cannot use the state database {}: {}", config.storage.path,
                                    store.error().message));
    out.store = std::move(*store);
    out.where = config.storage.path;
    return out;
  }
  auto store = storage::pg::PgRunStore::open(
      config.storage.postgres.reveal(), {.statement_deadline = pg_statement_deadline(config.ha)});
  if (!store) return make_error("cannot use storage.postgres: " + store.error().message);
  out.pg = store->get();
  out.where = (*store)->target();
  out.store = std::move(*store);
  return out;
}

// A node of an active/standby pair: the lease keeper, and a Term only while it leads, its
// writes that let a request leave fenced by the lease's epoch (docs/ha.md). The keeper runs
// on a thread of its own, so its renewals never wait behind a database call of the event
// loop (a slow `runs` table must not cost the lease).
struct Pair {
  asio::io_context keeper_io{1};
  std::unique_ptr<ha::LeaseKeeper> keeper;
  std::thread keeper_thread;
  metrics::Registry::Collector gauges;

  void start_keeper_thread() {
    keeper_thread = std::thread([this] {
      auto work = asio::make_work_guard(keeper_io);
      keeper_io.run();
    });
  }
  // After it nothing of the keeper runs, nor calls into the scheduler.
  void stop_keeper_thread() {
    keeper_io.stop();
    if (keeper_thread.joinable()) keeper_thread.join();
  }
  ~Pair() {
    gauges = {};
    stop_keeper_thread();
    keeper.reset();  // before keeper_io: its timer and connection live on it
  }
};

Result<std::unique_ptr<Scheduler>> make_pair_scheduler(
    asio::io_context& io, Pair& pair, OpenedStore& opened, const Clock& clock,
    const TermParts& parts, std::shared_ptr<const config::Config> config) {
  ha::LeaseKeeperSettings settings{.conninfo = config->storage.postgres.reveal(),
                                   .node = config->ha.node,
                                   .lease_name = storage::pg::k_lease_name,
                                   .timings = {.lease = config->ha.lease}};
  auto keeper = ha::LeaseKeeper::make(pair.keeper_io.get_executor(), clock, std::move(settings));
  if (!keeper) return make_error("ha: " + keeper.error().message);
  pair.keeper = std::move(*keeper);
  auto& k = *pair.keeper;
  auto* pg = opened.pg;
  auto make_term = [&k, pg, parts](std::int64_t epoch, std::shared_ptr<const config::Config> c) {
    pg->set_send_fence(
        storage::pg::SendFence{storage::pg::k_lease_name, k.node(), epoch, k.timings().margin});
    return std::unique_ptr<Scheduler>(
        std::make_unique<Term>(parts, std::move(c), [&k, epoch] { return k.may_send(epoch); }));
  };
  auto scheduler = std::make_unique<LeaderScheduler>(io, k, config, make_term);
  auto& leader = parts.metrics->gauge("boomi_sched_leader",
                                      "1 while this node leads its active/standby pair");
  auto& epoch = parts.metrics->gauge("boomi_sched_leader_epoch",
                                     "The lease epoch this node holds, or last saw");
  pair.gauges = parts.metrics->add_collector([&k, &leader, &epoch] {
    auto lease = k.state();
    leader.set({}, lease.role == ha::Role::leader ? 1 : 0);
    epoch.set({}, static_cast<double>(lease.epoch));
  });
  pair.start_keeper_thread();
  return std::unique_ptr<Scheduler>(std::move(scheduler));
}

// Everything after the lock: store, client, scheduler, supervisor, listener, loop.
int serve(asio::io_context& io, StopDeadline& deadline, const std::string& config_path,
          const config::LoadOptions& load_options, std::shared_ptr<const config::Config> config,
          bool dev) {
  auto opened = open_store(*config);
  if (!opened) return fail(opened.error().message);
  auto& store = *opened->store;
  const bool pair_node = opened->pg != nullptr;
  // A fresh start: no stop and no refused reload of an earlier daemon applies any more. (The
  // notes of a pair are shared: its nodes write only the outcome of their reloads.)
  storage::DaemonNotes notes{.pid = ::getpid()};
  if (!pair_node) write_notes(store, notes);
  // The metrics every part writes to; GET /metrics renders them.
  auto registry = std::make_shared<metrics::Registry>();
  DaemonMetrics daemon_metrics(*registry, wall_now());
  // One clock and one timer factory for the engine, the platform client and the alerts.
  SystemClock clock;
  SteadyTimerFactory timers(io);
  auto client =
      platform::make_platform_client(io, config->platform, clock, timers, {.metrics = registry});
  alerts::SinkSender alert_sender(io);
  TermParts parts{io, store, *client, clock, timers, alert_sender, registry, pair_node};
  auto pair = std::make_unique<Pair>();
  std::unique_ptr<Scheduler> scheduler;
  if (pair_node) {
    auto made = make_pair_scheduler(io, *pair, *opened, clock, parts, config);
    if (!made) return fail(made.error().message);
    scheduler = std::move(*made);
  } else {
    scheduler = std::make_unique<Term>(parts, config);
  }
  SdNotifier notifier;
  SupervisorSettings settings;
  settings.config_path = config_path;
  settings.load_options = load_options;
  settings.db_path = opened->where;
  if (pair_node) settings.command_poll = std::chrono::seconds(1);
  Supervisor supervisor(io, *scheduler, notifier, deadline, settings, config);
  supervisor.set_reload_hook([&](const config::Config& old, const config::Config& next) {
    update_client(*client, old, next);
    if (!(old.http == next.http)) {
      spdlog::warn("config.restart_needed setting=http running={} configured={}",
                   old.http.listen, next.http.listen);
    }
    if (!(old.storage.postgres == next.storage.postgres) || old.ha.node != next.ha.node ||
        old.ha.lease != next.ha.lease) {
      spdlog::warn("config.restart_needed setting=storage.postgres/ha");
    }
  });
  // A refused reload stays visible in `status` until a reload succeeds.
  supervisor.set_reload_outcome_hook([&](const ReloadOutcome& outcome) {
    notes.reload_failed_at = outcome.failed ? std::optional<SysMillis>(wall_now()) : std::nullopt;
    notes.reload_errors = outcome.errors;
    notes.reload_error = outcome.first_error;
    write_notes(store, notes);
    daemon_metrics.reloaded(outcome, wall_now());
  });

  WebListener listener(io, *config,
                       WebWiring{.config_path = config_path,
                                 .config = [&supervisor] { return supervisor.config(); },
                                 .stats = [&scheduler] { return scheduler->stats(); },
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
  io.run();
  // The loop is stopped: tear down in dependency order, then close the database.
  listener.stop();
  pair->stop_keeper_thread();  // the keeper's callbacks reach into the scheduler
  scheduler.reset();
  pair.reset();
  client.reset();
  // `status` shows a clean stop, and runs in flight as no longer tracked.
  if (!pair_node) {
    notes.stopped_at = wall_now();
    write_notes(store, notes);
  }
  opened->store.reset();
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
  auto lock = InstanceLock::acquire((*config)->storage.path);
  if (!lock) return fail(lock.error().message);
  spdlog::info("daemon.starting version={} pid={} config={} db={}", BSCHED_VERSION, ::getpid(),
               config_path,
               (*config)->storage.postgres.empty() ? (*config)->storage.path : "postgres");
  int code = serve(io, deadline, config_path, load_options, *config, options.dev);
  deadline.disarm();
  return code;
}

}  // namespace bsched::runtime
