// The engine's insides, shared by engine*.cpp and run_tracker.cpp. Not part of the contract.
//
// Shape: one fire loop waits on one WakeTimer for the earliest due slot of all jobs; each run
// in flight has its own tracker coroutine that sleeps until the run's next action (submit,
// poll, reconcile) and applies the pure decisions of decisions.h through
// RunStore::transition / update, grouped by WriteBatch into one commit per event-loop turn.
//
// The parts, each owning its state: JobBook (job_book.h: the configuration in force, the
// job table, the due queue), RunsInFlight (runs_in_flight.h: the runs tracked and the
// execution ids they hold), PlatformMonitor and StoreMonitor (what `status` and the log say
// of the platform and the store), RunMetrics (run_metrics.h: the Prometheus counters of runs
// and slots), WriteBatch (the trackers' writes; on PostgreSQL also the thread the slot batches,
// the heartbeat, the command queue and pruning reach the store on). Impl holds them and the coroutines that
// drive them: the fire loop (engine_fire.cpp), the trackers (run_tracker.cpp), recovery and
// reloads (engine.cpp), commands and maintenance (engine_ops.cpp: command_intake.h plans each
// operator command, Maintenance keeps the heartbeat's facts and the maintenance timetable).
#pragma once

#include "daemon/core/command_intake.h"
#include "daemon/core/decisions.h"
#include "daemon/core/engine.h"
#include "daemon/core/job_book.h"
#include "daemon/core/maintenance.h"
#include "daemon/core/platform_monitor.h"
#include "daemon/core/run_metrics.h"
#include "daemon/core/runs_in_flight.h"
#include "daemon/core/slot_planner.h"
#include "daemon/core/store_monitor.h"
#include "daemon/core/tracked.h"
#include "daemon/core/write_batch.h"
#include "storage/store_lane.h"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <map>
#include <memory>

namespace bsched::core {

// After the store refused a write (a slot batch, a run's step): how long until it is tried
// again. Nothing in memory moves on meanwhile.
inline constexpr Millis k_store_retry = std::chrono::seconds(1);

// One batch of due jobs: planned on the event loop (Impl::plan_job), written in one
// transaction (write_planned: on the commit thread when there is one, while the loop goes
// on) and acted on once committed (Impl::apply_planned). The write owns it meanwhile.
struct Planned {
  // One write of the batch, in plan order: a gap to record (missed or skipped slots, with its
  // alert event) or a run to create.
  struct Step {
    std::optional<storage::SlotGap> gap;
    std::optional<storage::NewAlert> alert;
    // A slot skipped by overlap behind a run of this batch (the step's index): its reason
    // names the run's id, known once that run is written.
    std::optional<std::size_t> skipped_behind;
    config::Overlap policy = config::Overlap::skip;  // (skipped_behind) the job's policy
    bool queued_before = false;  // (skipped_behind) a slot of the job was queued already
    std::shared_ptr<Tracked> run;  // a run to create: tracked once written
    storage::NewRun new_run;
    DueSlot slot;
    std::optional<storage::RunRow> row;  // written: the run's row; none: its slot was claimed
  };
  SysMillis now{};
  std::vector<Step> steps;
  std::vector<std::pair<JobRuntime*, sys_seconds>> horizons;  // each job's before planning
};

// The stored state of jobs by name, as read (an error: the job starts as new).
using JobStates = std::map<std::string, storage::StoreResult<storage::JobState>>;

// Writes a planned batch inside the caller's transaction, step by step (any thread: it
// touches only `p` and the store).
storage::StoreResult<void> write_planned(storage::RunStore& store, Planned& p);

// What a run's terminal transition wrote besides the row (Impl::terminal_writes), filled in
// inside the transaction and acted on once it committed.
struct TerminalOutcome {
  std::int64_t streak = 0;  // failed runs in a row, this one included (failures only)
  bool paused = false;      // pause_after_failures paused the job
  std::string note;         // its pause note
  bool alerted = false;     // an alert event was written
};

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  Impl(boost::asio::io_context& io, storage::RunStore& store, platform::PlatformClient& client,
       const Clock& clock, std::shared_ptr<const config::Config> config, EngineOptions options);

  boost::asio::io_context& io;
  storage::RunStore& store;
  platform::PlatformClient& client;
  const Clock& clock;
  EngineOptions options;  // every seam filled in (timers, randomness, run ids, pid)
  std::shared_ptr<TimerFactory> timers;
  WriteBatch writes;  // the trackers' state writes, one commit per event-loop turn (or per
                      // commit on its thread, options.commit_thread)

  JobBook jobs;
  RunsInFlight runs;
  PlatformMonitor platform;
  StoreMonitor store_health;
  RunMetrics metrics;  // counts what runs and slots did; reads the parts above at a scrape
  metrics::Registry::Collector metrics_collector;

  // Where the engine is in its life.
  enum class Phase {
    starting,  // built; start() has not finished recovery (operator commands wait)
    running,   // firing slots and tracking runs
    stopping,  // stop() was called: nothing new starts; answers of calls in flight are
               // still stored while stop() drains
    ended,     // stop() finished draining, or the engine was destroyed: a call that returns
               // now is not stored (another term, or the other node, may own the run)
  };
  // Its phase, and the coroutines stop() waits for before the phase is `ended`.
  struct Life {
    Phase phase = Phase::starting;
    int coroutines = 0;  // spawned and not yet ended (stop()'s drain waits for 0)
  };
  Life life;

  // The answers' writes after a burst (hold_after_burst).
  struct BurstWrites {
    enum class Hold {
      off,       // writes commit each event-loop turn; no burst_hold_cap() coroutine
      held,      // held until every request of the burst is answered or the cap passes;
                 // burst_hold_cap() waits on `cap`
      released,  // released; burst_hold_cap() has yet to wake and end (a new hold reuses it)
    };
    std::unique_ptr<WakeTimer> cap;  // bounds the hold
    Hold hold = Hold::off;
    int submits_in_flight = 0;  // ExecutionRequests handed to the client, answer not yet back
  };
  // The fire loop: its timer, what its next pass looks at, and the hold it puts on the
  // answers' writes after a burst.
  struct FireLoop {
    enum class Pass {
      due,          // the jobs whose next slot is due, on-time rules
      store_retry,  // the store refused the last batch: the due jobs again 1 s later, catch-up
      clock_step,   // on_clock_step(): every job, catch-up rules
    };
    std::unique_ptr<WakeTimer> timer;
    Pass next = Pass::due;
    // The store refused the last pass: the next waits k_store_retry, whatever its kind (a
    // clock step's pass stays one, and its jobs are all due at once).
    bool refused = false;
    // A batch's write is away (on the commit thread): the job table is the batch's until it
    // is back, so a reload read meanwhile waits for it (Reloads).
    bool writing = false;
    // A batch failed with its outcome unknown, or adopt_untracked() could not read: the
    // stored runs no tracker follows are taken up after the next batch.
    bool adopt = false;
    BurstWrites burst;
  };
  FireLoop fire;

  Maintenance house;  // the heartbeat's facts and the maintenance loop's timetable

  // Reloads, one at a time: the stored state of the jobs the table does not have is read (on
  // the commit thread when there is one), then the table is replaced once no slot batch's
  // write holds it (FireLoop::writing) and the start has ended. The latest one asked for wins.
  struct Reloads {
    std::shared_ptr<const config::Config> waiting;  // asked for, not yet read
    bool reading = false;                           // its reads are away
    std::shared_ptr<const config::Config> ready;    // read, to apply with `states`
    JobStates states;
  };
  Reloads reloads;

  // engine.cpp: recovery and configuration.
  boost::asio::awaitable<Result<void>> recover();
  std::shared_ptr<Tracked> resume_run(const storage::RunRow& row);
  // A scheduled run of a queue job stays queued behind another run of its job already sent.
  bool stays_queued_behind(const Tracked& t) const;
  boost::asio::awaitable<void> adopt_untracked();
  // Recovery: claims of runs that ended before the restart.
  boost::asio::awaitable<Result<void>> claim_recent_records();
  std::vector<std::string> unknown_jobs(const config::Config& next) const;
  boost::asio::awaitable<Result<void>> load_jobs_at_start();
  std::vector<std::pair<std::string, sys_seconds>> build_jobs(
      const std::shared_ptr<const config::Config>& next, bool reloading, const JobStates& states);
  // The next step of the reloads (Reloads): reads the one waiting, applies the one read.
  void next_reload();
  boost::asio::awaitable<void> read_for_reload(std::shared_ptr<const config::Config> config);
  void reload(std::shared_ptr<const config::Config> config, const JobStates& states);
  boost::asio::awaitable<void> store_horizons(std::function<storage::StoreResult<void>()> write);
  const config::Job* job_config(const std::string& name,
                                std::shared_ptr<const config::Config>& keep);

  // engine_fire.cpp: the fire loop and slot handling.
  boost::asio::awaitable<void> fire_loop();
  // After a burst the answers' writes stay held until every request sent has its answer or
  // k_burst_hold_cap passed (the later requests of a burst wait for a connection; a commit
  // of the early answers would hold them up).
  void hold_after_burst();
  void end_burst_hold();
  boost::asio::awaitable<void> burst_hold_cap();
  boost::asio::awaitable<platform::CallResult<platform::SubmitResult>> counted_submit(
      const platform::ExecutionRequest& request);
  // `pass`: catch_up after downtime, a clock step or a store outage (see SlotPass).
  // Returns whether more jobs are due now.
  boost::asio::awaitable<bool> fire_due(SysMillis now, bool every_job,
                                        std::string_view late_reason,
                                        std::size_t limit = SIZE_MAX,
                                        SlotPass pass = SlotPass::on_time);
  bool stopping() const { return life.phase == Phase::stopping || life.phase == Phase::ended; }
  void plan_job(JobRuntime& jr, SysMillis now, std::string_view late_reason, SlotPass pass,
                Planned& out);
  void apply_planned(Planned& p);
  void stage_submit(Tracked& t, storage::NewRun& n, SysMillis now);
  void note_created(const Tracked& t, const DueSlot& slot, SysMillis now,
                    std::vector<std::string>& lines) const;
  std::shared_ptr<Tracked> make_tracked(const JobRuntime& jr, sys_seconds slot);
  Millis next_fire_delay(SysMillis now) const;
  void wake_fire_loop();
  void release_queued(const std::string& job);

  // run_tracker.cpp: one coroutine per run.
  void spawn_tracker(std::shared_ptr<Tracked> t);
  boost::asio::awaitable<void> track(std::shared_ptr<Tracked> t);
  // The run's "now": the wall clock when its tracker started plus the monotonic time since.
  // Its timeouts and poll instants are measured with it, so a wall-clock step or a suspend
  // never ends a run as lost or timed_out early (nor makes it poll in a tight loop).
  SysMillis run_now(Tracked& t) const;
  boost::asio::awaitable<void> act(Tracked& t);
  boost::asio::awaitable<void> submit(Tracked& t);
  void withhold(Tracked& t);  // the send gate said no: reconciled, not sent
  // While the auth circuit is open: the instant it lets a probe through.
  std::optional<SysMillis> auth_closed_until(SysMillis now) const;
  // The request of the run's next attempt and the update that records it leaving.
  std::pair<platform::ExecutionRequest, storage::RunUpdate> next_attempt(const Tracked& t,
                                                                         SysMillis now) const;
  boost::asio::awaitable<void> poll(Tracked& t);
  boost::asio::awaitable<void> reconcile(Tracked& t);
  // Claims the records of `records` that a stored run holds (held_execution_ids), so that a
  // run without an execution id never takes one, whatever the holder's stored times say (a
  // suspend can put them hours behind). False when the store could not answer.
  boost::asio::awaitable<bool> claim_held(const std::vector<platform::ExecutionRecord>& records);
  boost::asio::awaitable<bool> write_sending(Tracked& t, const storage::RunUpdate& sending,
                                             SysMillis now);
  boost::asio::awaitable<void> apply(Tracked& t, const RunStep& step);
  boost::asio::awaitable<bool> held_by_auth(Tracked& t);
  // The auth circuit closed (new credentials): every run it held acts now.
  void release_auth_holds();
  boost::asio::awaitable<void> store_failed(Tracked& t, const RunStep& step,
                                            storage::StoreError e);
  static bool refused_as_stale(const storage::StoreError& e);
  // An error after which the write may have been stored all the same (StoreErrorKind::io).
  static bool outcome_unknown(const storage::StoreError& e);
  // After an unknown outcome: reads the row; when it moved on, acts on it (adopt_stored).
  // Returns whether the tracker took the stored row (or must wait to read it).
  boost::asio::awaitable<bool> check_stored(Tracked& t);
  boost::asio::awaitable<void> adopt_stored(Tracked& t);
  boost::asio::awaitable<storage::StoreResult<std::optional<storage::RunRow>>> read_row(
      const Tracked& t);
  void take_stored(Tracked& t, const std::optional<storage::RunRow>& stored);
  void log_step(const Tracked& t, const RunStep& step);
  void on_run_ended(const Tracked& t);

  // engine_alerts.cpp: the alert outbox's events and pause_after_failures.
  std::vector<std::string> alert_sinks(storage::AlertKind kind, std::string_view job) const;
  std::function<storage::StoreResult<void>(const storage::RunRow&)> terminal_writes(
      const Tracked& t, storage::RunState to, SysMillis now, std::shared_ptr<TerminalOutcome> out);
  void terminal_committed(const Tracked& t, const TerminalOutcome& out, SysMillis now);
  // A missed gap's alert event; none for skipped or paused slots or a job without sinks.
  std::optional<storage::NewAlert> gap_alert(const storage::SlotGap& gap) const;
  void check_late(const Tracked& t, SysMillis sent);
  void check_stuck(SysMillis now);
  void auth_opened(SysMillis now);
  void write_alert(storage::NewAlert a);  // on its own transaction
  boost::asio::awaitable<void> record_alert(storage::NewAlert a);
  void alerts_written();

  // engine_ops.cpp: commands (planned by command_intake.h), heartbeat, retention, platform
  // state.
  // Operator commands: taken on the commit thread, one take at a time (a check asked for
  // meanwhile runs once it ended), each run on the loop.
  struct CommandTakes {
    bool taking = false;
    bool again = false;
  };
  CommandTakes commands;
  void check_commands();
  boost::asio::awaitable<void> take_commands();
  boost::asio::awaitable<void> run_command(const storage::Command& c, SysMillis now);
  boost::asio::awaitable<void> start_manual(const storage::Command& c, const CommandPlan& plan,
                                            SysMillis now);
  boost::asio::awaitable<void> maintenance_loop();
  void write_heartbeat();  // the heartbeat as of now, written by a coroutine of its own
  boost::asio::awaitable<void> beat(storage::Heartbeat hb);
  boost::asio::awaitable<void> prune();
  // `fn(store)` on the commit thread when there is one (else here at once): a store call that
  // may wait without holding the loop. `fn` owns what it uses.
  template <class T>
  boost::asio::awaitable<storage::StoreResult<T>> call_store(
      std::function<storage::StoreResult<T>(storage::RunStore&)> fn) {
    return storage::call_on_lane(store_lane, store, std::move(fn));
  }
  // writes.call as a lane (storage/store_lane.h).
  storage::StoreLane store_lane = [this](std::function<storage::StoreResult<void>()> call) {
    return writes.call(std::move(call));
  };
  void note_platform(const platform::CallError* error);
  template <class T>
  void note_answer(const platform::CallResult<T>& answer) {
    if (answer) return note_platform(nullptr);
    auto e = answer.error();
    note_platform(&e);
  }
  // A store call failed ("store.error op=… kind=… message=…", counted in store_health).
  void store_error(std::string_view op, const storage::StoreError& e);
  // A store write went through: ends an outage (and says so in the heartbeat).
  void store_ok();
  void spawn(boost::asio::awaitable<void> work, const char* what);
  boost::asio::awaitable<void> drain();  // waits (bounded) until every coroutine ended
  double random01() { return options.random(); }
};


}  // namespace bsched::core
