#include "daemon/runtime/run.h"

#include "config/loader.h"
#include "daemon/core/clock.h"
#include "daemon/core/engine.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/runtime/dev_mode.h"
#include "daemon/runtime/engine_scheduler.h"
#include "daemon/runtime/instance_lock.h"
#include "daemon/runtime/logging.h"
#include "daemon/runtime/private_memory.h"
#include "daemon/runtime/supervisor.h"
#include "daemon/sim/simulator.h"
#include "storage/sqlite_run_store.h"

#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cstdio>
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

// The simulator and the temporary directory of `run --dev`.
struct DevMode {
  std::unique_ptr<sim::Simulator> simulator;
  std::optional<DevDirectory> dir;
};

Result<void> start_dev(asio::io_context& io, DevMode& dev) {
  auto options = dev_sim_options();
  dev.simulator = std::make_unique<sim::Simulator>(io, options);
  if (auto r = dev.simulator->start(); !r) {
    return make_error("cannot start the built-in simulator: " + r.error().message);
  }
  // The configuration names this variable; the simulator checks the same token.
  ::setenv(k_dev_token_env, options.token.c_str(), 1);
  auto dir = DevDirectory::create({dev.simulator->base_url(), options.account_id, options.username});
  if (!dir) return dir.error();
  dev.dir.emplace(std::move(*dir));
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

// Everything after the lock: store, client, engine, supervisor, loop.
int serve(asio::io_context& io, StopDeadline& deadline, const std::string& config_path,
          const config::LoadOptions& load_options, std::shared_ptr<const config::Config> config) {
  const std::string db = config->storage.path;
  auto store = storage::SqliteRunStore::open(db, store_options());
  if (!store) {
    return fail(fmt::format("cannot use the state database {}: {}", db, store.error().message));
  }
  auto client = platform::make_platform_client(io, config->platform);
  core::SystemClock clock;
  auto engine = std::make_unique<core::Engine>(io, **store, *client, clock, config);
  EngineScheduler scheduler(*engine);
  SdNotifier notifier;
  SupervisorSettings settings;
  settings.config_path = config_path;
  settings.load_options = load_options;
  settings.db_path = db;
  Supervisor supervisor(io, scheduler, notifier, deadline, settings, config);
  supervisor.set_reload_hook([&client](const config::Config& old, const config::Config& next) {
    update_client(*client, old, next);
  });

  int code = k_failure;
  asio::co_spawn(io, supervisor.run(), [&](std::exception_ptr e, int c) {
    code = e ? k_failure : c;
    if (e) spdlog::critical("daemon.internal_error where=supervisor");
    io.stop();
  });
  io.run();
  // The loop is stopped: tear down in dependency order, then close the database.
  engine.reset();
  client.reset();
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
  if (options.dev) {
    if (auto r = start_dev(io, dev); !r) return fail(r.error().message);
    config_path = dev.dir->config_path();
  } else {
    config_path = config::resolve_config_path(options.config);
  }
  auto config = load(config_path, load_options);
  if (!config) return fail(config.error().message);
  auto lock = InstanceLock::acquire((*config)->storage.path);
  if (!lock) return fail(lock.error().message);
  spdlog::info("daemon.starting version={} pid={} config={} db={}", BSCHED_VERSION, ::getpid(),
               config_path, (*config)->storage.path);
  int code = serve(io, deadline, config_path, load_options, *config);
  deadline.disarm();
  return code;
}

}  // namespace bsched::runtime
