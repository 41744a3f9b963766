// The engine's insides, shared by engine*.cpp and run_tracker.cpp. Not part of the contract.
//
// Shape: one fire loop waits on one WakeTimer for the earliest due slot of all jobs (an
// ordered set of (instant, job)); each run in flight has its own tracker coroutine that
// sleeps until the run's next action (submit, poll, reconcile) and applies the pure
// decisions of decisions.h through RunStore::transition / update, grouped by WriteBatch
// into one commit per event-loop turn.
#pragma once

#include "daemon/core/claim_ledger.h"
#include "daemon/core/decisions.h"
#include "daemon/core/due_queue.h"
#include "daemon/core/engine.h"
#include "daemon/core/platform_monitor.h"
#include "daemon/core/store_monitor.h"
#include "daemon/core/slot_planner.h"
#include "daemon/core/write_batch.h"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

namespace bsched::core {

// After the store refused a write (a slot batch, a run's step): how long until it is tried
// again. Nothing in memory moves on meanwhile.
inline constexpr Millis k_store_retry = std::chrono::seconds(1);

// One configured job as the engine runs it.
struct JobRuntime {
  const config::Job* job = nullptr;  // in Impl::config
  std::unique_ptr<SlotSource> slots;
  bool active = false;  // enabled: fires new slots
  bool paused = false;
  std::optional<SysMillis> paused_at;        // when the pause was written (paused only)
  sys_seconds horizon{};                     // every slot at or before it was handled
  std::optional<sys_seconds> next_due;       // set while in Impl::due: its instant there
  std::optional<sys_seconds> last_success;   // for ${last_success_time}
};

// The engine's jobs sorted by name: a lookup is a binary search, and an entry never moves
// once the table is built (Impl::due points at entries).
class JobTable {
 public:
  JobTable() = default;
  explicit JobTable(std::vector<JobRuntime> jobs);
  JobRuntime* find(std::string_view name);
  const JobRuntime* find(std::string_view name) const;
  JobRuntime& at(std::string_view name);  // throws std::out_of_range for an unknown name
  auto begin() { return m_jobs.begin(); }
  auto end() { return m_jobs.end(); }
  auto begin() const { return m_jobs.begin(); }
  auto end() const { return m_jobs.end(); }

 private:
  std::vector<JobRuntime> m_jobs;
};

// One run in flight.
struct Tracked {
  enum class Mode {
    submit,  // send the ExecutionRequest (first time or again after a sure failure)
    poll,    // poll the async result by requestId
    query,   // find the record through the query API (uncertain trigger, expired result)
  };
  storage::RunRow row;
  std::shared_ptr<const config::Config> config;  // keeps `job` alive after a reload
  const config::Job* job = nullptr;
  Mode mode = Mode::submit;
  int polls = 0;         // answers received while polling / reconciling
  bool held = false;     // queued behind an earlier run of its job (overlap: queue)
  bool tracking = false;  // its tracker coroutine was spawned
  bool auth_held = false;  // waiting to send only because the auth circuit is open
  SysMillis deadline{};  // no trigger leaves after this instant
  std::vector<std::pair<std::string, std::string>> extra;  // manual trigger properties
  std::optional<RunStep> pending;  // a decided step the store has not taken yet
  // The wall and monotonic instants the tracker's time is measured from (Impl::run_now).
  std::optional<std::pair<SysMillis, std::chrono::steady_clock::time_point>> anchor;
  // The first ExecutionRequest, built while the run row was written: its `submitting` state
  // went into the same commit, so it leaves without another write (see Impl::stage_submit).
  std::optional<platform::ExecutionRequest> staged;
  std::unique_ptr<WakeTimer> timer;
};

// A run made ahead of its burst's instant (Impl::prepare_burst): run id drawn, request built,
// tracker and timer allocated, row written `scheduled` (NewRun::ahead). A crash before the
// instant leaves that row; recovery sends it at its slot like any scheduled run.
struct PreparedRun {
  std::shared_ptr<Tracked> run;
  platform::ExecutionRequest request;
  std::optional<sys_seconds> last_success;  // the value ${last_success_time} was built with
};

// What planning one batch of due jobs made (Impl::fire_due, Impl::plan_job).
struct Planned {
  std::vector<std::shared_ptr<Tracked>> created;  // new runs, in `runs` already
  std::vector<std::shared_ptr<Tracked>> ahead;  // runs written ahead taken on (also in created)
  std::vector<PreparedRun> dropped;  // runs written ahead that did not fit: rows deleted
  std::vector<std::string> lines;  // logged once the batch is committed
};

struct Engine::Impl : std::enable_shared_from_this<Engine::Impl> {
  Impl(boost::asio::io_context& io, storage::RunStore& store, platform::PlatformClient& client,
       const Clock& clock, std::shared_ptr<const config::Config> config, EngineOptions options);

  boost::asio::io_context& io;
  storage::RunStore& store;
  platform::PlatformClient& client;
  const Clock& clock;
  EngineOptions options;
  WriteBatch writes;  // the trackers' state writes, one commit per event-loop turn
  std::unique_ptr<TimerFactory> own_timers;
  TimerFactory* timers = nullptr;
  std::mt19937_64 rng;

  std::shared_ptr<const config::Config> config;
  JobTable jobs;
  int active_jobs = 0;  // enabled jobs in `jobs` (stats() is asked for often, even mid-burst)
  // Enabled jobs by next slot, then name; a job's entry is at its JobRuntime::next_due.
  // Cleared before `jobs` is replaced (load_jobs).
  DueQueue<JobRuntime> due;
  std::map<std::int64_t, std::shared_ptr<Tracked>> runs;  // by row id: oldest first
  std::map<std::string, std::set<std::int64_t>, std::less<>> job_runs;  // ids in `runs` by job
  ClaimLedger claims;  // execution ids held by runs (reconcile never takes them)

  std::unordered_map<std::string, PreparedRun> prepared;  // by job, for `prepared_for`
  std::optional<sys_seconds> prepared_for;                 // the burst instant prepared

  // Where the engine is in its life.
  enum class Phase {
    starting,  // built; start() has not finished recovery (operator commands wait)
    running,   // firing slots and tracking runs
    stopping,  // stop() was called or the engine destroyed: nothing new starts
  };
  // What the fire loop's next pass looks at.
  enum class FirePass {
    due,          // the jobs whose next slot is due, on-time rules
    store_retry,  // the store refused the last batch: the due jobs again 1 s later, catch-up rules
    clock_step,   // on_clock_step(): every job, catch-up rules
  };
  // The answers' writes after a burst (hold_after_burst).
  enum class BurstHold {
    off,       // writes commit each event-loop turn; no burst_hold_cap() coroutine
    held,      // held until every request of the burst is answered or the cap passes;
               // burst_hold_cap() waits on burst_timer
    released,  // released; burst_hold_cap() has yet to wake and end (a new hold reuses it)
  };

  std::unique_ptr<WakeTimer> fire_timer;
  std::unique_ptr<WakeTimer> burst_timer;  // bounds the write hold after a burst
  std::unique_ptr<WakeTimer> maintenance_timer;
  Phase phase = Phase::starting;
  FirePass next_pass = FirePass::due;
  BurstHold burst_hold = BurstHold::off;
  int coroutines = 0;
  int submits_in_flight = 0;  // ExecutionRequests handed to the client, answer not yet back
  int failures = 0;
  PlatformMonitor platform;
  StoreMonitor store_health;
  SysMillis started_at{};
  SysMillis config_loaded_at{};

  // engine.cpp: recovery and configuration.
  Result<void> recover();
  void resume_run(const storage::RunRow& row);
  void claim_recent_records();  // recovery: claims of runs that ended before the restart
  void add_run(std::shared_ptr<Tracked> t);  // into `runs` and `job_runs`
  void remove_run(const Tracked& t);
  void load_jobs(const std::shared_ptr<const config::Config>& next, bool reloading);
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
  bool fire_due(SysMillis now, bool every_job, std::string_view late_reason,
                std::size_t limit = SIZE_MAX, SlotPass pass = SlotPass::on_time);
  bool stopping() const { return phase == Phase::stopping; }
  storage::StoreResult<void> plan_job(JobRuntime& jr, SysMillis now, std::string_view late_reason,
                                      SlotPass pass, Planned& out);
  void stage_submit(Tracked& t, storage::NewRun& n, SysMillis now);
  void start_prepared(PreparedRun& p, SysMillis now);
  void note_created(const Tracked& t, const DueSlot& slot, SysMillis now, bool ahead,
                    std::vector<std::string>& lines) const;
  PreparedRun unstart_prepared(std::shared_ptr<Tracked> t);  // start_prepared undone
  // A burst (more jobs due on one instant than one batch) is prepared k_prepare_lead ahead:
  // the instant then costs only one UPDATE and the sends.
  std::optional<sys_seconds> burst_to_prepare() const;
  void prepare_burst(SysMillis now);
  void drop_prepared();
  std::shared_ptr<Tracked> make_tracked(const JobRuntime& jr, sys_seconds slot);
  // The prepared run of this job and slot, taken out of `prepared`.
  std::optional<PreparedRun> take_prepared(const JobRuntime& jr, sys_seconds slot);
  void reschedule(JobRuntime& jr);
  Millis next_fire_delay(SysMillis now) const;
  void wake_fire_loop();
  std::optional<std::int64_t> oldest_in_flight(const std::string& job) const;
  bool has_held(const std::string& job) const;
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
  // While the auth circuit is open: the instant it lets a probe through.
  std::optional<SysMillis> auth_closed_until(SysMillis now) const;
  // The request of the run's next attempt and the update that records it leaving.
  std::pair<platform::ExecutionRequest, storage::RunUpdate> next_attempt(const Tracked& t,
                                                                         SysMillis now) const;
  boost::asio::awaitable<void> poll(Tracked& t);
  boost::asio::awaitable<void> reconcile(Tracked& t);
  // The match windows of the runs in flight for t's process and runtime, sent before t, that
  // may still be tied to a record (the earlier send wins a record both could claim).
  std::vector<MatchWindow> earlier_rivals(const Tracked& t) const;
  boost::asio::awaitable<bool> write_sending(Tracked& t, const storage::RunUpdate& sending,
                                             SysMillis now);
  boost::asio::awaitable<void> apply(Tracked& t, const RunStep& step);
  boost::asio::awaitable<bool> held_by_auth(Tracked& t);
  // The auth circuit closed (new credentials): every run it held acts now.
  void release_auth_holds();
  void store_failed(Tracked& t, const RunStep& step, const storage::StoreError& e);
  void log_step(const Tracked& t, const RunStep& step);
  void on_run_ended(const Tracked& t);
  void forget_old_claims();  // claims no reconcile can meet any more

  // engine_ops.cpp: commands, heartbeat, retention, platform state.
  void take_commands();
  void run_command(const storage::Command& c, SysMillis now);
  boost::asio::awaitable<void> maintenance_loop();
  void write_heartbeat();
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
  double random01();
};


}  // namespace bsched::core
