// The pair mode of the simulation (docs/testing.md, "Deterministic simulation"): two nodes of
// an active/standby pair share the simulated platform, the store and the clock; a simulated
// lease row (sim_lease.h) decides which of them leads. Each node claims as the LeaseKeeper
// does (daemon/ha/lease.h decides) and runs an engine only while it leads, one per epoch, as
// LeaderScheduler does: the next term starts once the last one ended (sync_term says how a
// term ends here). Crashes, partitions of one node from the lease and database
// restarts are drawn from the seed.
#include "tests/simulation/sim_world_impl.h"

#include "daemon/platform/boomi_client.h"

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>

namespace bsched::simulation {

using namespace std::chrono_literals;

namespace {

constexpr Millis k_pair_simulated = 3h;  // as the single mode: steady time before the end
// Longer than any run's deadline (20 h, as the single mode, plus the suspended time) and the
// backoff of a run still reconciling: a run whose times were stamped ahead by a
// stepped clock, whose answer came back to a term that had ended (not stored) and whose record
// a skewed query window cannot find, ends only at its run_timeout (pair seed 129: timed_out
// about 17.6 h into this phase).
constexpr Millis k_pair_drain = 24h;
constexpr int k_pair_max_steps = 400000;

long long ms_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration_cast<Millis>(to - from).count();
}

}  // namespace

// The lease (15 s, the default, half the time; otherwise 2 s to 30 s) and the two nodes.
void World::pair_setup() {
  ha::LeaseTimings t;
  if (uniform(m_rng) < 0.5) t.lease = uniform_ms(m_rng, 2s, 30s);
  auto timings = ha::resolve_timings(t);
  if (!timings) throw std::runtime_error("lease timings: " + timings.error().message);
  m_timings = *timings;
  for (const char* name : {"a", "b"}) {
    auto n = std::make_unique<Node>();
    n->name = name;
    n->store = std::make_unique<FencingStore>(*m_observed, m_lease, m_clock, name, m_timings.margin,
                                              [this](std::string what) {
                                                ++m_outcome.fenced;
                                                log(std::move(what));
                                              });
    n->reach = std::make_unique<test::ForwardingStore>(static_cast<storage::RunStore&>(*n->store));
    n->reach->refuse = [this, node = n.get()](std::string_view call) {
      return store_refusal(node, call);
    };
    if (m_lose_answers) n->reach->lose_answer = [this] { return lost_answer(); };
    m_nodes.push_back(std::move(n));
  }
  log(fmt::format("pair: lease {} ms, renewal every {} ms, margin {} ms", m_timings.lease.count(),
                  m_timings.renew_every.count(), m_timings.margin.count()));
}

// A new process for `n`: a standby that claims at once.
void World::node_start(Node& n) {
  auto life = std::make_unique<Life>();
  life->io = std::make_unique<boost::asio::io_context>();
  life->timers = std::make_unique<test::FakeTimerFactory>(*life->io, m_clock);
  TransportHooks hooks{
      [this] { return platform_now(); }, [this](const Accepted& a) { on_accepted(a); },
      [this](std::string e) { log(std::move(e)); }, [this, node = &n] { on_trigger(*node); }};
  auto transport = std::make_unique<SimTransport>(*m_platform, *life->timers, m_rng, m_net,
                                                  m_platform_config.timeout, std::move(hooks));
  platform::ClientOptions client_options;
  client_options.seed = m_rng();
  life->client = platform::make_platform_client(*life->io, m_platform_config, std::move(transport),
                                                m_clock, *life->timers, client_options);
  n.life = std::move(life);
  n.lease = ha::LeaseState{};
  n.term_epoch = n.last_epoch = 0;
  n.claim = Node::Claim::idle;
  n.next_claim = m_clock.steady_now();
  log(n.name + ": start as a standby");
}

// A crash of one node: its process goes as in the single mode (kill_life); the lease row
// stays until it expires. It restarts later as a standby.
void World::node_crash(Node& n) {
  if (!n.life) return;
  ++m_outcome.crashes;
  log(n.name + ": CRASH");
  drop_life(n.life);
  n.term_epoch = 0;
  n.claim = Node::Claim::idle;
  const double r = uniform(m_rng);
  Millis down = r < 0.6   ? uniform_ms(m_rng, 0ms, 5s)
                : r < 0.9 ? uniform_ms(m_rng, 5s, 10min)
                          : uniform_ms(m_rng, 10min, 1h);
  n.restart_at = m_clock.steady_now() + down;
}

// A clean stop of one node, as LeaderScheduler::stop does it: its term's engine stopped, then
// the lease given up when the row still names it under its epoch (LeaseKeeper::stop(resign):
// the row expires now and NOTIFY wakes the other node, which claims at once). It starts again
// later as a standby. A node whose term is still starting is left for another time.
void World::node_stop(Node& n) {
  if (!n.life || (n.life->engine && !n.life->started)) return;
  ++m_outcome.stops;
  log(n.name + ": STOP (clean)");
  if (n.life->engine) {
    n.stopping = true;
    if (!await_stop(*n.life)) violation(n.name + ": Engine::stop did not end within 10 s");
    n.stopping = false;
    n.life->engine.reset();
    log(fmt::format("{}: term {} ended (stopped)", n.name, n.term_epoch));
  }
  const auto now = m_clock.steady_now();
  const bool reachable = now >= n.partitioned_until && now >= m_db_down_until;
  if (reachable && m_lease.holder == n.name && m_lease.epoch == n.lease.epoch) {
    m_lease.expires_at = now - 1ms;
    note_lease(n, ha::on_resigned(n.lease));
    for (auto& other : m_nodes) {
      if (other.get() != &n && other->life && other->claim == Node::Claim::idle)
        other->next_claim = now;
    }
  }
  drop_life(n.life);
  n.term_epoch = 0;
  n.claim = Node::Claim::idle;
  const double r = uniform(m_stop_rng);
  n.restart_at =
      now + (r < 0.7 ? uniform_ms(m_stop_rng, 0ms, 5s) : uniform_ms(m_stop_rng, 5s, 10min));
}

// One step of `n`'s claim, due now: sent (the keeper's wake-up also checks for an overdue
// renewal), taken by the database, answered, or failed after the statement deadline.
void World::node_claim(Node& n) {
  const auto now = m_clock.steady_now();
  const bool reachable = now >= n.partitioned_until && now >= m_db_down_until;
  const Millis hop = m_timings.statement_deadline / 4;  // each way: answers come in time
  switch (n.claim) {
    case Node::Claim::idle:
      note_lease(n, ha::check_overdue(n.lease, m_timings, now));
      n.claim_sent = now;
      n.claim = reachable ? Node::Claim::to_db : Node::Claim::failing;
      n.claim_at =
          reachable ? now + uniform_ms(m_rng, 0ms, hop) : now + m_timings.statement_deadline;
      return;
    case Node::Claim::to_db: {
      if (!reachable) {
        n.claim = Node::Claim::failing;
        n.claim_at = n.claim_sent + m_timings.statement_deadline;
        return;
      }
      const auto before = m_lease.holder;
      n.answer = m_lease.claim(n.name, now, m_timings.lease);
      if (n.answer.held && !before.empty() && before != n.name) {
        ++m_outcome.takeovers;
        log(fmt::format("lease: {} takes over from {} under epoch {}", n.name, before,
                        n.answer.epoch));
      }
      n.claim = Node::Claim::answering;
      n.claim_at = now + uniform_ms(m_rng, 0ms, hop);
      return;
    }
    case Node::Claim::answering:
      if (reachable) {
        note_lease(n, ha::on_claim(n.lease, n.answer, n.claim_sent));
        n.next_claim = ha::next_claim_at(n.lease, m_timings, now, n.answer);
        n.claim = Node::Claim::idle;
        return;
      }
      n.claim = Node::Claim::failing;  // taken by the database, the answer lost
      n.claim_at = std::max(now, n.claim_sent + m_timings.statement_deadline);
      return;
    case Node::Claim::failing:
      note_lease(n, ha::check_overdue(n.lease, m_timings, now));
      n.next_claim = ha::next_claim_at(n.lease, m_timings, now, std::nullopt);
      n.claim = Node::Claim::idle;
      return;
  }
}

void World::note_lease(Node& n, const ha::Transition& t) {
  switch (t.change) {
    case ha::LeaseChange::none:
      return;
    case ha::LeaseChange::acquired:
      return log(fmt::format("{}: leader under epoch {}", n.name, t.epoch));
    case ha::LeaseChange::reacquired:
      return log(
          fmt::format("{}: leader again under epoch {} (was {})", n.name, t.epoch, t.old_epoch));
    case ha::LeaseChange::lost:
      return log(
          fmt::format("{}: lost epoch {} ({})", n.name, t.epoch, ha::lost_reason_name(t.reason)));
    case ha::LeaseChange::resigned:
      return log(fmt::format("{}: resigned epoch {}", n.name, t.epoch));
  }
}

bool World::node_may_send(const Node& n, std::int64_t epoch) const {
  return ha::may_send(n.lease, m_timings, m_clock.steady_now()) && n.lease.epoch == epoch;
}

// LeaderScheduler::follow: the term in line with the lease, one change at a time; a term
// being started finishes its start first. A term ends by destroying its engine, which stops
// it (engine.h): the daemon awaits Engine::stop() instead (Term::stop), whose drain waits for
// platform calls in flight on the real steady clock (up to 3 s), which a replayable run cannot
// follow; what stop() adds, the woken trackers' last turn, ends the same way here: without
// touching the store. True when something changed.
bool World::sync_term(Node& n) {
  if (!n.life || n.stopping) return false;
  auto& l = *n.life;
  const std::int64_t want = n.lease.role == ha::Role::leader ? n.lease.epoch : 0;
  if (l.engine && l.start_failed) {  // LeaderScheduler: end_term(), a new one 1 s later
    l.engine.reset();
    l.start_failed = false;
    log(fmt::format("{}: term {} ended (its start failed)", n.name, n.term_epoch));
    n.term_epoch = 0;
    n.term_retry_at = m_clock.steady_now() + 1s;
    return true;
  }
  if (l.engine) {
    if (!l.started || want == n.term_epoch) return false;
    l.engine.reset();
    l.started = false;
    log(fmt::format("{}: term {} ended", n.name, n.term_epoch));
    n.term_epoch = 0;
  }
  if (want == 0 || m_clock.steady_now() < n.term_retry_at) return false;
  start_term(n);
  return true;
}

// A new term under the epoch `n` leads with: the fence moves to it (make_pair_scheduler), the
// engine asks the lease before each send (LeaseKeeper::may_send(epoch)).
void World::start_term(Node& n) {
  const auto epoch = n.lease.epoch;
  n.store->set_fence(epoch);
  auto& l = *n.life;
  core::EngineOptions options;
  options.timers = l.timers.get();
  options.random = [this] { return uniform(m_rng); };
  options.run_id = [this] { return fmt::format("run-{}", ++m_run_counter); };
  options.pid = 4242;
  options.may_send = [this, node = &n, epoch] { return node_may_send(*node, epoch); };
  // A lane per term, as each term's engine has a commit thread of its own. An ended term's
  // lane runs what it was given on, as that thread would (the engine's writes then find
  // their term ended; the store's fence judges them).
  if (m_outcome.commit_lane) give_lane(l, options);
  l.engine = std::make_unique<core::Engine>(*l.io, *n.reach, *l.client, m_clock, m_config, options);
  l.started = false;
  n.term_epoch = n.last_epoch = epoch;
  log(fmt::format("{}: term {} starts with {}", n.name, epoch, m_config->fingerprint));
  Life* life = &l;
  core::Engine* engine = l.engine.get();
  const SysMillis began = m_clock.now();
  boost::asio::co_spawn(*l.io, engine->start(),
                        [this, node = &n, life, engine, began](std::exception_ptr e,
                                                               Result<void> r) {
                          if (e) return violation("Engine::start threw");
                          if (node->life.get() != life || life->engine.get() != engine) return;
                          if (!r && !store_down(node))
                            return violation("Engine::start failed: " + r.error().message);
                          if (!r) {
                            log(fmt::format("{}: term {} start failed ({})", node->name,
                                            node->term_epoch, r.error().message));
                            life->start_failed = true;
                            return;
                          }
                          life->started = true;
                          if (!m_first_up) m_first_up = std::max(began, m_clock.now());
                          log(fmt::format("{}: term {} ready", node->name, node->term_epoch));
                        });
}

// Invariant: no request leaves a node whose lease row check would refuse it at that instant:
// the row names the node under the epoch of its latest term and has not expired. A trigger of
// an ended term (a tracker that passed may_send before the term ended, its request still
// waiting for the pacer) is counted apart when the row still admits it.
void World::on_trigger(const Node& n) {
  const auto now = m_clock.steady_now();
  const bool admitted =
      m_lease.holder == n.name && m_lease.epoch == n.last_epoch && m_lease.expires_at > now;
  if (admitted && n.term_epoch != 0) return;
  if (admitted) {
    ++m_outcome.late_sends;
    return log(
        fmt::format("{}: a trigger of term {} left after the term ended", n.name, n.last_epoch));
  }
  violation(
      fmt::format("a trigger left node {} (term {}, latest {}) while the lease row names "
                  "{} under epoch {}, expiring in {} ms",
                  n.name, n.term_epoch, n.last_epoch, m_lease.holder, m_lease.epoch,
                  ms_between(now, m_lease.expires_at)));
}

// Invariant: at no instant do the engines of both nodes pass may_send. Sending windows open
// only at claim answers, which are events, so checking after every event covers every instant.
void World::check_pair() {
  std::vector<std::string> sending;
  for (const auto& n : m_nodes) {
    if (n->life && n->life->engine && node_may_send(*n, n->term_epoch)) {
      sending.push_back(fmt::format("{} (epoch {})", n->name, n->term_epoch));
    }
  }
  if (sending.size() < 2 || m_both_sent) return;
  m_both_sent = true;
  violation(fmt::format("the engines of {} and {} both pass may_send", sending[0], sending[1]));
}

// The next instant something happens: a timer of either node, a claim, a restart.
std::optional<SteadyTime> World::pair_next() const {
  std::optional<SteadyTime> next;
  auto consider = [&next](SteadyTime t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& n : m_nodes) {
    if (!n->life) {
      consider(n->restart_at);
      continue;
    }
    if (auto t = n->life->timers->earliest()) consider(*t);
    consider(n->claim == Node::Claim::idle ? n->next_claim : n->claim_at);
    if (!n->life->engine && n->term_retry_at > m_clock.steady_now()) consider(n->term_retry_at);
  }
  return next;
}

void World::pair_fire_due() {
  const auto now = m_clock.steady_now();
  for (auto& n : m_nodes) {
    if (!n->life) {
      if (n->restart_at <= now) node_start(*n);
      continue;
    }
    for (int i = 0; i < 4 && (n->claim == Node::Claim::idle ? n->next_claim : n->claim_at) <= now;
         ++i) {
      node_claim(*n);
    }
    n->life->timers->fire_due();
  }
}

// Runs both nodes' ready handlers and brings their terms in line with their leases until
// nothing changes; then checks the pair's invariant.
void World::pair_settle() {
  for (int i = 0; i < 50; ++i) {
    for (auto& n : m_nodes) {
      if (!n->life) continue;
      n->life->io->restart();
      n->life->io->poll();
    }
    bool changed = false;
    for (auto& n : m_nodes) changed = sync_term(*n) || changed;
    if (!changed) break;
  }
  for (const auto& n : m_nodes) {
    if (n->life && n->life->started && !store_down(n.get()) && m_clock.now() > m_max_wall_up)
      m_max_wall_up = m_clock.now();
  }
  check_pair();
}

// advance() for two nodes: every event on the way at its own instant.
void World::pair_advance(Millis d) {
  const auto target = m_clock.steady_now() + d;
  pair_settle();
  for (int guard = 0; guard < 100000; ++guard) {
    auto next = pair_next();
    if (!next || *next > target) break;
    if (*next > m_clock.steady_now()) {
      m_clock.advance(std::chrono::duration_cast<Millis>(*next - m_clock.steady_now()));
    }
    pair_fire_due();
    pair_settle();
  }
  if (target > m_clock.steady_now()) {
    m_clock.advance(std::chrono::duration_cast<Millis>(target - m_clock.steady_now()));
  }
  pair_fire_due();
  pair_settle();
}

void World::pair_step() {
  ++m_outcome.steps;
  auto next = pair_next();
  Millis gap = next ? std::chrono::duration_cast<Millis>(*next - m_clock.steady_now()) : 60s;
  gap = std::clamp(gap, 0ms, 60000ms);
  pair_advance(uniform(m_rng) < 0.75 ? gap : uniform_ms(m_rng, 0ms, gap));
  pair_act();
}

// The single mode's events (no suspends: the nodes share one steady clock) plus the pair's.
void World::pair_act() {
  if (draw_stop()) return node_stop(*m_nodes[m_stop_rng() % m_nodes.size()]);
  const double r = uniform(m_rng);
  double edge = m_p_crash / 4;  // more steps than the single mode: the claims are events
  if (r < edge) return node_crash(*m_nodes[m_rng() % m_nodes.size()]);
  if (r < (edge += 0.001)) return partition();
  if (r < (edge += 0.0005)) return db_restart();
  if (r < (edge += 0.002)) return reload();
  if (r < (edge += 0.004)) return command();
  if (r < (edge += 0.001)) return m_steps ? clock_step(false) : void();
  if (r < (edge += 0.002)) return weather();
  if (m_faults.store_outages && r < (edge += 0.0005)) return store_outage();
}

// One node's claims get no answer for 1 s to three leases; with store outages, half the
// partitions cut its store calls too.
void World::partition() {
  auto& n = *m_nodes[m_rng() % m_nodes.size()];
  ++m_outcome.partitions;
  const Millis d = uniform_ms(m_rng, 1s, 3 * m_timings.lease);
  if (m_clock.steady_now() >= n.partitioned_until)
    n.partition_cuts_store = m_faults.store_outages && uniform(m_rng) < 0.5;
  n.partitioned_until = std::max(n.partitioned_until, m_clock.steady_now() + d);
  log(fmt::format("{}: PARTITIONED from the {} for {} ms", n.name,
                  n.partition_cuts_store ? "database" : "lease", d.count()));
}

// Both nodes' claims fail for 1 s to two leases; the lease row survives.
void World::db_restart() {
  ++m_outcome.db_restarts;
  const Millis d = uniform_ms(m_rng, 1s, 2 * m_timings.lease);
  m_db_down_until = std::max(m_db_down_until, m_clock.steady_now() + d);
  log(fmt::format("database: RESTART, down for {} ms", d.count()));
}

// finish() for two nodes: everything healed and restarted, a leader ready, then the same end.
void World::pair_finish() {
  m_finishing = true;
  sim::SimFaults calm;
  calm.async_expiry = m_sim_options.faults.async_expiry;
  calm.rate_no_record = m_sim_options.faults.rate_no_record;
  m_platform->set_faults(calm);
  m_net = m_net_calm;
  m_db_down_until = m_store_down_until = m_clock.steady_now();
  for (auto& n : m_nodes) {
    n->partitioned_until = m_clock.steady_now();
    if (!n->life) node_start(*n);
  }
  auto ready = [this] {
    return std::any_of(m_nodes.begin(), m_nodes.end(),
                       [](const auto& n) { return n->life && n->life->started; });
  };
  for (int i = 0; i < 1000 && !ready(); ++i) pair_advance(1s);
  if (m_offset != 0ms) {
    m_clock.step_wall(-m_offset);
    m_offset = 0ms;
    each_engine([](core::Engine& e) { e.on_clock_step(); });
  }
  log("end: calm, true time");
  pair_advance(3min);
  m_cover_until = m_max_wall_up;
  ++m_config_version;
  m_config = build_config(false);
  log("end: every job removed; time runs out");
  each_engine([this](core::Engine& e) { e.reload(m_config); });
  for (Millis t{0}; t < k_pair_drain + m_suspended; t += 10min) {
    pair_advance(10min);
    auto open = m_store->non_terminal_runs();
    if (open && open->empty()) break;
  }
}

SeedOutcome World::run_pair() {
  pair_setup();
  for (auto& n : m_nodes) node_start(*n);
  pair_settle();
  while (m_clock.steady_now() - m_steady_start < k_pair_simulated &&
         m_outcome.steps < k_pair_max_steps && m_outcome.violations.empty()) {
    pair_step();
  }
  if (m_outcome.violations.empty()) {
    pair_finish();
    check_end();
  }
  return summary();
}

}  // namespace bsched::simulation
