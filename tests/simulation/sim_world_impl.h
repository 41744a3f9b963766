// The simulated world of one seed: the platform model, the network faults, the clock, the
// store that survives crashes and the daemon's current life (io_context, timers, client,
// engine), which a crash drops whole. Shared by sim_world.cpp (the run) and sim_checks.cpp
// (the invariants).
#pragma once

#include "tests/simulation/sim_edges.h"
#include "tests/simulation/sim_lease.h"
#include "tests/simulation/sim_observer.h"
#include "tests/simulation/sim_world.h"

#include "config/config.h"
#include "daemon/core/engine.h"
#include "storage/sqlite_run_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_timers.h"

#include <boost/asio/io_context.hpp>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <deque>
#include <set>

namespace bsched::simulation {

// The engine's commit thread as the simulation plays it (EngineOptions::commit_elsewhere):
// one work at a time in the order given, each after a delay on the simulated clock (mostly
// milliseconds, now and then seconds: a database that stalls). Its coroutine lives on the
// life's io_context: a crash drops the works not yet run, as a killed process loses the
// transaction it had not committed.
class SimLane : public std::enable_shared_from_this<SimLane> {
 public:
  SimLane(boost::asio::io_context& io, TimerFactory& timers, std::function<Millis()> delay)
      : m_io(io), m_timer(timers.make_timer()), m_delay(std::move(delay)) {}
  void push(std::function<void()> work);

 private:
  static boost::asio::awaitable<void> drain(std::shared_ptr<SimLane> self);
  boost::asio::io_context& m_io;
  std::unique_ptr<WakeTimer> m_timer;
  std::function<Millis()> m_delay;
  std::deque<std::function<void()>> m_queue;
  bool m_running = false;  // drain() is on its way through the queue
};

// One life of the daemon: everything a crash takes away. Members are destroyed in the order
// kill() spells out.
struct Life {
  std::unique_ptr<boost::asio::io_context> io;
  std::unique_ptr<test::FakeTimerFactory> timers;
  std::shared_ptr<SimLane> lane;  // the engine's commit thread (commit_lane seeds)
  std::unique_ptr<platform::PlatformClient> client;
  std::unique_ptr<core::Engine> engine;
  bool started = false;  // Engine::start() completed
  bool start_failed = false;  // Engine::start() failed: the store refused its reads (an outage)
};

// A crash of `life`: the engine, then the client, then the io_context (World::kill_life).
void drop_life(std::unique_ptr<Life>& life);

// One node of a pair (pair mode): its process (a Life whose engine exists only while a term
// runs), what it knows of the lease, its claim in flight and its view of the store.
struct Node {
  // Where its claim is: idle until next_claim; to_db until the database takes it at claim_at;
  // answering until its answer arrives at claim_at; failing until it fails at claim_at.
  enum class Claim { idle, to_db, answering, failing };

  std::string name;
  std::unique_ptr<Life> life;  // null while crashed
  std::unique_ptr<FencingStore> store;
  std::unique_ptr<test::ForwardingStore> reach;  // `store` as its engine reaches it (outages)
  ha::LeaseState lease;
  std::int64_t term_epoch = 0;  // the epoch of life->engine; 0: no term
  std::int64_t last_epoch = 0;  // the epoch of the latest term of this life, running or ended
  Claim claim = Claim::idle;
  SteadyTime claim_sent{};
  SteadyTime claim_at{};
  SteadyTime next_claim{};
  ha::ClaimAnswer answer;
  SteadyTime restart_at{};        // while crashed
  SteadyTime partitioned_until{};  // its claims get no answer before this
  bool partition_cuts_store = false;  // ... nor its store calls (the keeper's own connection
                                      // can break alone)
  SteadyTime term_retry_at{};      // after a term whose start failed (LeaderScheduler: 1 s)
  bool stopping = false;           // a clean stop awaits its engine's stop(): the term stays
};

// A job of the simulation.
struct SimJobSpec {
  std::string name;
  std::string schedule;
  bool checked;  // its schedule never changes: every slot is accounted for at the end
};

class World {
 public:
  World(std::uint64_t seed, bool verbose, bool pair = false, SeedFaults faults = {});
  ~World();
  SeedOutcome run();

  // sim_checks.cpp
  void on_accepted(const Accepted& a);
  void on_tied(const std::string& run_id, const std::string& execution_id,
               const std::string& matched_by);
  void check_end();

 private:
  void setup_platform();
  std::shared_ptr<config::Config> build_config(bool with_jobs);
  void start_life();
  void give_lane(Life& life, core::EngineOptions& options);
  std::optional<storage::StoreError> lost_answer();
  void kill_life();
  void step();
  void advance(Millis d);
  void run_ready();
  void act();
  void crash();
  // Engine::stop() on `life` as the daemon awaits it, time moving 100 ms at a time (its drain
  // waits on the simulated clock); false when it has not ended within 10 s.
  bool await_stop(Life& life);
  void clean_stop();
  bool draw_stop();  // from m_stop_rng: a clean stop now
  void reload();
  void command();
  void clock_step(bool suspend);
  void weather();
  void store_outage();
  // The error of a store call made now, or none: an outage, or (`node`) a partition or a
  // database restart.
  std::optional<storage::StoreError> store_refusal(const Node* node, std::string_view call);
  bool store_down(const Node* node) const;  // store_refusal would refuse a call now
  void finish();
  SysMillis platform_now() const;

  // Pair mode (sim_pair.cpp).
  SeedOutcome run_pair();
  void pair_setup();
  void node_start(Node& n);
  void node_crash(Node& n);
  void node_stop(Node& n);
  void node_claim(Node& n);
  void note_lease(Node& n, const ha::Transition& t);
  bool sync_term(Node& n);
  void start_term(Node& n);
  bool node_may_send(const Node& n, std::int64_t epoch) const;
  void on_trigger(const Node& n);
  void check_pair();
  std::optional<SteadyTime> pair_next() const;
  void pair_fire_due();
  void pair_settle();
  void pair_advance(Millis d);
  void pair_step();
  void pair_act();
  void partition();
  void db_restart();
  void pair_finish();
  template <class F>
  void each_engine(F&& f);

 public:
  void log(std::string event);
  void violation(std::string what);
  // A record credited to the wrong run: a violation, or counted apart (SeedOutcome::ambiguous)
  // when `ambiguous` or the clock was skewed, unless BSCHED_SIM_STRICT is set.
  void wrong_credit(std::string what, bool ambiguous);
  std::vector<storage::RunRow> all_runs();
  SeedOutcome summary();

  std::uint64_t m_seed;
  bool m_verbose;
  std::mt19937_64 m_rng;
  bool m_lose_answers = false;  // SeedFaults::lost_answers, drawn for this seed
  std::mt19937_64 m_lane_rng;  // the SimLane's delays (drawn apart: seeds without one play as before)
  std::mt19937_64 m_stop_rng;  // clean stops (drawn apart, as the lane's delays)
  EventLog m_events{k_kept_events};
  SeedOutcome m_outcome;

  test::FakeClock m_clock;
  SysMillis m_true_start;
  // The wall instant the first engine started: jobs are owed their slots after it (a daemon
  // whose store was down at its first start registered no job before). The later of the
  // instants its start began and ended: a wall clock stepped back meanwhile does not make the
  // slots before the start owed (pair seed 2001311: a 69 s step back during term 1's start).
  std::optional<SysMillis> m_first_up;
  std::chrono::steady_clock::time_point m_steady_start{};
  Millis m_suspended{0};
  Millis m_offset{0};        // the daemon's wall clock minus the true time
  SysMillis m_max_wall_up;   // latest wall instant the engine saw running, its store up
  std::optional<SysMillis> m_cover_until;  // slots up to here are checked (set at the end)

  sim::SimOptions m_sim_options;
  std::unique_ptr<sim::SimState> m_platform;
  NetFaults m_net;
  NetFaults m_net_calm;
  config::Platform m_platform_config;

  std::unique_ptr<storage::SqliteRunStore> m_store;
  std::unique_ptr<ObservingStore> m_observed;
  std::unique_ptr<test::ForwardingStore> m_reach;  // m_observed as the single engine reaches it
  SeedFaults m_faults;
  SteadyTime m_store_down_until{};
  storage::StoreErrorKind m_store_down_kind = storage::StoreErrorKind::io;
  std::unique_ptr<Life> m_life;

  std::vector<SimJobSpec> m_specs;
  std::set<std::string> m_all_jobs;  // every job name any configuration had
  std::shared_ptr<config::Config> m_config;
  int m_config_version = 1;
  config::Catchup m_catchup = config::Catchup::latest;
  config::Overlap m_overlap = config::Overlap::skip;
  bool m_extra = false;  // the unchecked job whose schedule reloads change

  std::deque<Accepted> m_accepted;  // stable addresses
  std::map<std::string, int> m_sent_by_run;                                    // run id -> executions
  std::map<std::pair<std::string, std::chrono::sys_seconds>, std::string> m_sent_by_slot;  // -> run id
  std::map<std::string, const Accepted*> m_truth;  // execution id -> accepted (m_accepted)
  std::map<std::string, std::string> m_held;       // execution id -> first run tied to it
  bool m_strict = false;
  bool m_steps = false;   // this seed steps the daemon's wall clock away from the platform's
  bool m_skewed = false;  // it did, by more than the reconcile rule's k_match_skew
  int m_run_counter = 0;
  double m_p_crash = 0;
  bool m_finishing = false;

  // Pair mode.
  bool m_pair = false;
  ha::LeaseTimings m_timings;
  SimLease m_lease;
  std::vector<std::unique_ptr<Node>> m_nodes;
  SteadyTime m_db_down_until{};
  bool m_both_sent = false;  // the exclusivity violation was reported
};

// Calls `f` on the engine of the single mode, or on every ready term of the pair.
template <class F>
void World::each_engine(F&& f) {
  if (!m_pair) {
    if (m_life && m_life->engine) f(*m_life->engine);
    return;
  }
  for (auto& n : m_nodes) {
    if (n->life && n->life->engine && n->life->started) f(*n->life->engine);
  }
}

}  // namespace bsched::simulation
