// The scheduler engine: fires due slots and tracks every run to its end (product.md §4, §5).
// It owns the timers, the run tracker and the policies; the runtime (daemon/runtime/) owns the
// process: signals, systemd notifications, the instance lock, config reloads, inotify.
//
// Everything runs on one single-threaded io_context; no method may be called from another
// thread. The engine never throws out of its coroutines; store and platform failures are
// logged and retried.
#pragma once

#include "base/clock.h"
#include "base/timers.h"
#include "config/config.h"
#include "daemon/core/slot_source.h"
#include "daemon/metrics/registry.h"
#include "daemon/platform/platform_client.h"
#include "storage/run_store.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace bsched::core {

// Counts for systemd's STATUS= line and the heartbeat.
struct EngineStats {
  int jobs = 0;          // enabled jobs in the current configuration
  int in_flight = 0;     // non-terminal runs
  int failures = 0;      // runs that ended in a failure state since start
  std::string platform;  // "ok", "throttled", "unreachable", "auth failed: …"
  int claimed = 0;       // execution ids held, so that no reconcile takes another run's
  std::string store;     // "ok", "failing since …: <message> (N errors)", "ok (last outage …)"
  bool store_healthy = true;       // false while writes to the store fail (an outage lasts)
  bool auth_circuit_open = false;  // a 401 stopped the triggers until the credentials change
};

// Seams for tests; every member has a production default.
struct EngineOptions {
  // The engine's timers; null: real steady timers on the io_context.
  TimerFactory* timers = nullptr;
  // A job's slots; null: JobSlots (the job's schedules merged).
  std::function<std::unique_ptr<SlotSource>(const config::Job&)> slot_source;
  // Uniform numbers in [0, 1) for jitter; null: a seeded std::mt19937_64.
  std::function<double()> random;
  // A new run's id (sent as the run-id property); null: a random UUID (platform::make_run_id).
  std::function<std::string()> run_id;
  // Where the engine's metrics go (docs/operations.md); null: a registry of its own.
  std::shared_ptr<metrics::Registry> metrics;
  // Called after an alert event was committed to the store (wakes the alert dispatcher).
  std::function<void()> on_alert;
  // Asked just before each ExecutionRequest leaves; false keeps it from leaving (a node of an
  // active/standby pair whose lease is not certain, docs/ha.md). The run stays `submitting`
  // and possibly accepted, as after a crash at that point: it is reconciled, never resent
  // blindly. Null: always true.
  std::function<bool()> may_send;
  // Make the store calls that may wait (the slot batches, the run trackers' writes, the
  // heartbeat, the command queue, pruning, the job states at start) on a thread of their own
  // (WriteBatch): a store whose calls wait on the network (PostgreSQL) then holds only those,
  // not the event loop. The store must accept calls from that thread.
  bool commit_thread = false;
  // Tests: those calls run through this instead of a thread, one at a time in order (the
  // simulation runs each at a later simulated instant). Takes precedence over commit_thread.
  std::function<void(std::function<void()> work)> commit_elsewhere;
  int pid = 0;  // written in the heartbeat; 0: getpid()
  Millis maintenance_interval = std::chrono::seconds(30);  // heartbeat + command fallback
  Millis prune_interval = std::chrono::minutes(10);        // retention pruning
};

class Engine {
 public:
  Engine(boost::asio::io_context& io, storage::RunStore& store, platform::PlatformClient& client,
         const Clock& clock, std::shared_ptr<const config::Config> config);
  Engine(boost::asio::io_context& io, storage::RunStore& store, platform::PlatformClient& client,
         const Clock& clock, std::shared_ptr<const config::Config> config, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Recovery (resume every non-terminal run, catch up missed slots), then arms the timers.
  // Returns once the engine is ready to fire (the runtime then sends READY=1).
  boost::asio::awaitable<Result<void>> start();

  // Swaps in a validated configuration. Slots of changed or new schedules start from now
  // (no back-fill); in-flight runs of removed jobs are still tracked to their end.
  void reload(std::shared_ptr<const config::Config> config);

  // The wall clock stepped (detected by the runtime): a forward step turns the skipped
  // slots into catch-up, a backward step never fires a slot twice. Re-arms the timers.
  void on_clock_step();

  // Operator commands (trigger / pause / resume) may have been written: take them now.
  void check_commands();

  // Stops firing new slots and polling; in-flight runs stay in the store and resume on the
  // next start. Completes once no store transaction is in progress (and every coroutine of
  // the engine ended, or after about 3 s for those still inside a platform call).
  // Destroying the engine also stops it; coroutines still suspended then end on their own
  // the next time the io_context runs, without touching the store.
  boost::asio::awaitable<void> stop();

  EngineStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> m_impl;  // shared with the engine's coroutines until they end
};

}  // namespace bsched::core
