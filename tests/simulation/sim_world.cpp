#include "tests/simulation/sim_world_impl.h"

#include "daemon/core/decisions.h"
#include "daemon/platform/boomi_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace bsched::simulation {

using namespace std::chrono_literals;
using core::k_match_skew;
using storage::CommandKind;

namespace {

// splitmix64: spreads consecutive seeds over the generator's state.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

const char* k_start = "2026-01-05T10:00:30Z";
constexpr Millis k_simulated = 3h;        // steady time one seed plays before its end phase
// The end phase: longer than any run's deadline. A run times out run_timeout (12 h) after a
// running_at the daemon may have stamped while its wall clock was up to 3 h ahead, measured
// on the steady clock from where its tracker was adopted (Engine::Impl::run_now), which a
// start with the wall clock up to 3 h behind sets back 3 h more, and which does not count the
// time the host was suspended (seed 2003161: 2 h 18 min behind, still running at 16 h). The
// suspended time is added per seed (finish).
constexpr Millis k_drain = 20h;
constexpr int k_max_steps = 200000;

config::Job make_sim_job(const std::string& name, const std::string& schedule) {
  config::Job j;
  j.name = name;
  j.schedules.push_back(*config::Schedule::parse(schedule, name, utc_zone()));
  j.process_id = "process-" + name;
  auto& s = j.edit_settings();
  s.atom_id = "atom-1";
  s.timezone = "UTC";
  s.zone = utc_zone();
  s.dynamic_properties = {{"FROM", "${last_success_time}"}, {"TO", "${scheduled_time}"}};
  return j;
}

}  // namespace

World::World(std::uint64_t seed, bool verbose, bool pair, SeedFaults faults)
    : m_seed(seed), m_verbose(verbose), m_rng(mix(seed)), m_lane_rng(mix(seed ^ 0x6c616e65)),
      m_stop_rng(mix(seed ^ 0x73746f70)),
      m_clock(SysMillis(*parse_instant(k_start))), m_true_start(m_clock.now()),
      m_max_wall_up(m_clock.now()) {
  m_outcome.seed = seed;
  m_outcome.pair = m_pair = pair;
  m_faults = faults;
  m_outcome.commit_lane = faults.commit_lane && (mix(seed ^ 0x636f6d6d) & 1) != 0;
  if (const char* lane = std::getenv("BSCHED_SIM_LANE")) {
    m_outcome.commit_lane = std::string_view(lane) == "1";  // a replay with or without one
  }
  spdlog::set_level(std::getenv("BSCHED_TEST_LOG") ? spdlog::level::debug : spdlog::level::off);
  m_steady_start = m_clock.steady_now();
  setup_platform();
  auto s = storage::SqliteRunStore::open(":memory:");
  if (!s) throw std::runtime_error("sqlite :memory: did not open: " + s.error().message);
  m_store = std::move(*s);
  m_observed = std::make_unique<ObservingStore>(
      *m_store, [this](std::string v) { violation(std::move(v)); },
      [this](std::string e) { log(std::move(e)); },
      [this](const std::string& run, const std::string& execution, const std::string& by) {
        on_tied(run, execution, by);
      });
  m_reach = std::make_unique<test::ForwardingStore>(static_cast<storage::RunStore&>(*m_observed));
  m_reach->refuse = [this](std::string_view call) { return store_refusal(nullptr, call); };
  m_lose_answers = faults.lost_answers && (mix(seed ^ 0x6c6f7374) & 3) == 0;
  if (const char* lose = std::getenv("BSCHED_SIM_LOST")) {
    m_lose_answers = std::string_view(lose) == "1";  // a replay with or without them
  }
  if (m_lose_answers) m_reach->lose_answer = [this] { return lost_answer(); };
  m_strict = std::getenv("BSCHED_SIM_STRICT") != nullptr;
  m_specs = {{"every-minute", "* * * * *", true},
             {"five", "*/5 * * * *", true},
             {"slow", "*/2 * * * *", true},
             {"extra", "*/3 * * * *", false}};
  m_p_crash = 0.002 + 0.01 * uniform(m_rng);
  m_steps = uniform(m_rng) < 0.5;
  m_config = build_config(true);
}

World::~World() {
  kill_life();
  for (auto& n : m_nodes) drop_life(n->life);
}

// The platform's behaviour for this seed: how late records appear, how runs end, how often
// answers fail. Some seeds are calm, some stormy.
void World::setup_platform() {
  auto& o = m_sim_options;
  o.seed = mix(m_seed ^ 0x5151);
  o.pickup_delay = uniform_ms(m_rng, 0ms, 8000ms);
  o.run_duration = uniform_ms(m_rng, 100ms, 20000ms);
  o.process_durations["process-slow"] = uniform_ms(m_rng, 60s, 300s);
  o.outcomes = sim::OutcomeMix{1.0, 0.1, 0.2, 0.05, 0.05};
  o.faults.async_expiry = uniform(m_rng) < 0.5 ? uniform_ms(m_rng, 1s, 60s) : 0ms;
  o.faults.rate_no_record = uniform(m_rng) < 0.2 ? 0.05 : 0;
  m_platform = std::make_unique<sim::SimState>(o);
  m_net_calm.latency_max = uniform_ms(m_rng, 1ms, 2000ms);
  m_net = m_net_calm;
  weather();
  m_platform_config.account_id = o.account_id;
  m_platform_config.base_url = "https://sim.test/api/rest/v1";
  m_platform_config.username = o.username;
  m_platform_config.token = config::Secret(o.token);
  const double pace[] = {0.0, 4.0, 10.0};
  m_platform_config.requests_per_second = pace[m_rng() % 3];
}

// A new configuration from the current choices (catch-up and overlap policy, the extra job).
std::shared_ptr<config::Config> World::build_config(bool with_jobs) {
  auto c = std::make_shared<config::Config>();
  c->platform = m_platform_config;
  c->fingerprint = fmt::format("fp-{}", m_config_version);
  if (!with_jobs) {
    c->jobs.push_back(make_sim_job("idle", "0 0 1 1 *"));
  }
  for (const auto& spec : with_jobs ? m_specs : std::vector<SimJobSpec>{}) {
    if (!spec.checked && !m_extra) continue;
    auto schedule = spec.checked ? spec.schedule : fmt::format("*/{} * * * *", 2 + m_config_version % 5);
    auto job = make_sim_job(spec.name, schedule);
    job.edit_settings().catchup = m_catchup;
    job.edit_settings().overlap = m_overlap;
    job.edit_settings().dynamic_properties.emplace_back("VERSION", c->fingerprint);
    c->jobs.push_back(std::move(job));
  }
  for (const auto& j : c->jobs) m_all_jobs.insert(j.name);
  std::sort(c->jobs.begin(), c->jobs.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return c;
}

SysMillis World::platform_now() const {
  return m_true_start + std::chrono::duration_cast<Millis>(m_clock.steady_now() - m_steady_start) +
         m_suspended;
}

void World::log(std::string event) {
  auto line = fmt::format("[{} wall {}] {}", format_utc_ms(platform_now()).substr(11),
                          format_utc_ms(m_clock.now()).substr(11), event);
  if (m_verbose) std::cout << line << "\n";
  m_events.add(std::move(line));
}

void World::violation(std::string what) {
  log("VIOLATION: " + what);
  m_outcome.violations.push_back(std::move(what));
}

void World::start_life() {
  auto life = std::make_unique<Life>();
  life->io = std::make_unique<boost::asio::io_context>();
  life->timers = std::make_unique<test::FakeTimerFactory>(*life->io, m_clock);
  TransportHooks hooks{[this] { return platform_now(); },
                       [this](const Accepted& a) { on_accepted(a); },
                       [this](std::string e) { log(std::move(e)); }};
  auto transport = std::make_unique<SimTransport>(*m_platform, *life->timers, m_rng, m_net,
                                                  m_platform_config.timeout, std::move(hooks));
  platform::ClientOptions client_options;
  client_options.seed =
      mix(m_seed ^ static_cast<std::uint64_t>(m_outcome.crashes + 1 + 1000 * m_outcome.stops));
  life->client = platform::make_platform_client(
      *life->io, m_platform_config, std::move(transport), m_clock, *life->timers, client_options);
  core::EngineOptions options;
  options.timers = life->timers.get();
  options.random = [this] { return uniform(m_rng); };
  options.run_id = [this] { return fmt::format("run-{}", ++m_run_counter); };
  options.pid = 4242;
  if (m_outcome.commit_lane) give_lane(*life, options);
  life->engine = std::make_unique<core::Engine>(*life->io, *m_reach, *life->client, m_clock,
                                                m_config, options);
  m_life = std::move(life);
  log("daemon: start with " + m_config->fingerprint);
  Life* l = m_life.get();
  const SysMillis began = m_clock.now();
  boost::asio::co_spawn(*l->io, l->engine->start(), [this, l, began](std::exception_ptr e,
                                                                      Result<void> r) {
    if (e) return violation("Engine::start threw");
    if (!r && !store_down(nullptr)) return violation("Engine::start failed: " + r.error().message);
    if (!r) {
      // The daemon exits with the error; systemd starts it again.
      log("daemon: start failed (" + r.error().message + "), exits");
      l->start_failed = true;
      return;
    }
    l->started = true;
    if (!m_first_up) m_first_up = std::max(began, m_clock.now());
    log("daemon: ready");
  });
  run_ready();
}

// A commit lane for the engine about to be built on `life` (its own, as each engine has its
// own commit thread): calls run one at a time, each after a delay on the simulated clock.
// A committed transaction whose answer is lost (SeedFaults::lost_answers), drawn from the
// lane's generator so that seeds without the fault play as before.
std::optional<storage::StoreError> World::lost_answer() {
  if (std::uniform_real_distribution<double>(0.0, 1.0)(m_lane_rng) >= 0.02) return std::nullopt;
  ++m_outcome.lost_answers;
  log("store: COMMIT done, its answer lost");
  return storage::StoreError{storage::StoreErrorKind::io,
                             "the connection closed after COMMIT (simulated)"};
}

void World::give_lane(Life& life, core::EngineOptions& options) {
  life.lane = std::make_shared<SimLane>(*life.io, *life.timers, [this] {
    auto r = std::uniform_real_distribution<double>(0.0, 1.0)(m_lane_rng);
    auto ms = r < 0.9 ? r * 20 : r < 0.99 ? 20 + (r - 0.9) * 5000 : 500 + (r - 0.99) * 450000;
    return Millis(static_cast<Millis::rep>(ms));
  });
  options.commit_elsewhere = [lane = life.lane](std::function<void()> work) {
    lane->push(std::move(work));
  };
}

void SimLane::push(std::function<void()> work) {
  m_queue.push_back(std::move(work));
  if (m_running) return;
  m_running = true;
  boost::asio::co_spawn(m_io, drain(shared_from_this()), boost::asio::detached);
}

boost::asio::awaitable<void> SimLane::drain(std::shared_ptr<SimLane> self) {
  while (!self->m_queue.empty()) {
    self->m_timer->expires_after(self->m_delay());
    co_await self->m_timer->wait();
    auto work = std::move(self->m_queue.front());
    self->m_queue.pop_front();
    work();
  }
  self->m_running = false;
}

// A crash: the engine is destroyed without stop(), then the client (its pacer's timer lives on
// the io_context, so it goes first), then the io_context with every coroutine frame still
// suspended in it. Only what the store committed remains.
void drop_life(std::unique_ptr<Life>& life) {
  if (!life) return;
  life->engine.reset();
  life->client.reset();
  life->lane.reset();  // its coroutine, if running, holds it until the io_context goes
  life->io.reset();
  life.reset();
}

void World::kill_life() { drop_life(m_life); }

void World::run_ready() {
  if (m_pair) return pair_settle();
  if (!m_life) return;
  m_life->io->restart();
  m_life->io->poll();
  // An instant seen only while the store refused everything is not owed to the ledger: the
  // clock may step back before the daemon can write anything for it.
  if (m_life->started && !store_down(nullptr) && m_clock.now() > m_max_wall_up)
    m_max_wall_up = m_clock.now();
}

// Moves time forward by `d`, firing every timer on the way at its own instant.
void World::advance(Millis d) {
  if (!m_life) {
    m_clock.advance(d);
    return;
  }
  auto target = m_clock.steady_now() + d;
  run_ready();
  for (int guard = 0; guard < 100000 && m_life; ++guard) {
    auto next = m_life->timers->earliest();
    if (!next || *next > target) break;
    if (*next > m_clock.steady_now()) {
      m_clock.advance(std::chrono::duration_cast<Millis>(*next - m_clock.steady_now()));
    }
    m_life->timers->fire_due();
    run_ready();
  }
  if (target > m_clock.steady_now()) {
    m_clock.advance(std::chrono::duration_cast<Millis>(target - m_clock.steady_now()));
  }
  if (m_life) m_life->timers->fire_due();
  run_ready();
}

// One step: to the next timer (an event), or part of the way there, then maybe an action.
void World::step() {
  ++m_outcome.steps;
  std::optional<std::chrono::steady_clock::time_point> next;
  if (m_life) next = m_life->timers->earliest();
  Millis gap = next ? std::chrono::duration_cast<Millis>(*next - m_clock.steady_now()) : 60s;
  gap = std::clamp(gap, 0ms, 60000ms);
  advance(uniform(m_rng) < 0.75 ? gap : uniform_ms(m_rng, 0ms, gap));
  act();
}

void World::act() {
  const double r = uniform(m_rng);
  if (!m_life) return start_life();
  if (m_life->start_failed) return kill_life();
  if (r < m_p_crash) return crash();
  if (!m_life->started) return;
  if (draw_stop()) return clean_stop();
  double edge = m_p_crash;
  if (r < (edge += 0.002)) return reload();
  if (r < (edge += 0.004)) return command();
  if (r < (edge += 0.001)) return m_steps ? clock_step(false) : void();
  if (r < (edge += 0.0005)) return clock_step(true);
  if (r < (edge += 0.002)) return weather();
  if (m_faults.store_outages && r < (edge += 0.001)) return store_outage();
}

// The store refuses every call for 100 ms to 20 min: locked (busy), disk full, or no answer.
void World::store_outage() {
  ++m_outcome.store_outages;
  const double r = uniform(m_rng);
  const Millis d = r < 0.6   ? uniform_ms(m_rng, 100ms, 5s)
                   : r < 0.9 ? uniform_ms(m_rng, 5s, 2min)
                             : uniform_ms(m_rng, 2min, 20min);
  using K = storage::StoreErrorKind;
  const K kinds[] = {K::busy, K::full, K::io};
  m_store_down_kind = kinds[m_rng() % 3];
  m_store_down_until = std::max(m_store_down_until, m_clock.steady_now() + d);
  log(fmt::format("store: OUTAGE ({}) for {} ms", storage::to_string(m_store_down_kind), d.count()));
}

bool World::store_down(const Node* node) const {
  const auto now = m_clock.steady_now();
  if (now < m_store_down_until) return true;
  return node && m_faults.store_outages &&
         ((node->partition_cuts_store && now < node->partitioned_until) || now < m_db_down_until);
}

std::optional<storage::StoreError> World::store_refusal(const Node* node, std::string_view call) {
  if (!store_down(node)) return std::nullopt;
  ++m_outcome.store_refused;
  if (m_clock.steady_now() < m_store_down_until)
    return storage::StoreError{m_store_down_kind,
                               fmt::format("{}: the store is down (simulated)", call)};
  return storage::StoreError{storage::StoreErrorKind::io,
                             fmt::format("{}: no answer within the deadline (simulated: {} "
                                         "cannot reach the database)",
                                         call, node->name)};
}

void World::crash() {
  ++m_outcome.crashes;
  log("daemon: CRASH");
  kill_life();
  const double r = uniform(m_rng);
  Millis down = r < 0.6 ? uniform_ms(m_rng, 0ms, 5s)
                        : r < 0.9 ? uniform_ms(m_rng, 5s, 10min) : uniform_ms(m_rng, 10min, 3h);
  advance(down);
  start_life();
}

bool World::draw_stop() {
  return m_faults.clean_stops && uniform(m_stop_rng) < m_p_crash / (m_pair ? 8 : 2);
}

bool World::await_stop(Life& life) {
  auto done = std::make_shared<bool>(false);
  boost::asio::co_spawn(*life.io, life.engine->stop(), [done](std::exception_ptr) { *done = true; });
  for (int i = 0; i < 100 && !*done; ++i) m_pair ? pair_advance(100ms) : advance(100ms);
  return *done;
}

// A clean stop: the daemon awaits Engine::stop(), exits, and is started again later.
void World::clean_stop() {
  ++m_outcome.stops;
  log("daemon: STOP (clean)");
  if (!await_stop(*m_life)) violation("Engine::stop did not end within 10 s");
  log("daemon: stopped");
  kill_life();
  const double r = uniform(m_stop_rng);
  advance(r < 0.7 ? uniform_ms(m_stop_rng, 0ms, 5s) : uniform_ms(m_stop_rng, 5s, 10min));
  start_life();
}

// A reload with edited jobs: catch-up and overlap policies, a property, the extra job added,
// removed or given another schedule.
void World::reload() {
  ++m_outcome.reloads;
  ++m_config_version;
  const config::Catchup catchups[] = {config::Catchup::latest, config::Catchup::all,
                                      config::Catchup::none};
  const config::Overlap overlaps[] = {config::Overlap::skip, config::Overlap::allow,
                                      config::Overlap::queue};
  if (uniform(m_rng) < 0.5) m_catchup = catchups[m_rng() % 3];
  if (uniform(m_rng) < 0.5) m_overlap = overlaps[m_rng() % 3];
  if (uniform(m_rng) < 0.5) m_extra = !m_extra;
  m_config = build_config(true);
  log(fmt::format("daemon: reload {} (catchup {}, overlap {}, extra {})", m_config->fingerprint,
                  static_cast<int>(m_catchup), static_cast<int>(m_overlap), m_extra));
  each_engine([this](core::Engine& e) { e.reload(m_config); });
  run_ready();
}

// An operator command through the store, as the CLI writes it.
void World::command() {
  ++m_outcome.commands;
  const CommandKind kinds[] = {CommandKind::trigger, CommandKind::pause, CommandKind::resume};
  storage::Command c;
  c.kind = kinds[m_rng() % 3];
  c.job = m_specs[m_rng() % 3].name;
  c.args_json = "{}";
  c.requested_by = "ops";
  c.requested_at = m_clock.now();
  log(fmt::format("ops: {} {}", storage::to_string(c.kind), c.job));
  if (!m_store->enqueue_command(c)) return violation("enqueue_command failed");
  if (uniform(m_rng) < 0.5) each_engine([](core::Engine& e) { e.check_commands(); });
  run_ready();
}

// A wall-clock step away from the true time (or back to it when off), or a suspend.
void World::clock_step(bool suspend) {
  ++m_outcome.clock_steps;
  Millis d{0};
  if (suspend) {
    d = uniform_ms(m_rng, 1s, 2h);
    m_suspended += d;
  } else if (m_offset != 0ms) {
    d = -m_offset;
  } else {
    d = uniform(m_rng) < 0.5 ? uniform_ms(m_rng, 1s, 2min) : uniform_ms(m_rng, 2min, 3h);
    if (uniform(m_rng) < 0.5) d = -d;
  }
  if (!suspend) m_offset += d;
  if (!suspend && std::chrono::abs(m_offset) > k_match_skew) m_skewed = true;
  m_clock.step_wall(d);
  log(fmt::format("clock: {} {:+}s", suspend ? "suspend" : "step", d.count() / 1000));
  each_engine([](core::Engine& e) { e.on_clock_step(); });
  run_ready();
}

// New fault rates for the platform and the network (calm half the time).
void World::weather() {
  sim::SimFaults f = m_sim_options.faults;
  NetFaults n = m_net_calm;
  const bool storm = uniform(m_rng) < 0.5;
  f.rate_503 = storm ? 0.1 * uniform(m_rng) : 0;
  f.rate_429 = storm ? 0.1 * uniform(m_rng) : 0;
  f.retry_after_s = 1 + static_cast<int>(m_rng() % 10);
  f.rate_500 = storm ? 0.05 * uniform(m_rng) : 0;
  f.rate_malformed = storm ? 0.02 * uniform(m_rng) : 0;
  f.rate_reset_after_read = storm ? 0.05 * uniform(m_rng) : 0;
  f.rate_slow = storm ? 0.02 * uniform(m_rng) : 0;
  f.slow = uniform_ms(m_rng, 1s, 40s);
  if (storm) {
    n.refused = 0.05 * uniform(m_rng);
    n.reset_before_read = 0.05 * uniform(m_rng);
    n.reset_after_read = 0.05 * uniform(m_rng);
    n.never_answered = 0.05 * uniform(m_rng);
    n.trigger_4xx = 0.02 * uniform(m_rng);
  }
  m_platform->set_faults(f);
  m_net = n;
  log(storm ? "platform: storm" : "platform: calm");
}

// The end: calm weather, the true time, a few minutes to fire the last slots, then every
// job removed and time run out past every deadline.
void World::finish() {
  m_finishing = true;
  sim::SimFaults calm;
  calm.async_expiry = m_sim_options.faults.async_expiry;
  calm.rate_no_record = m_sim_options.faults.rate_no_record;
  m_platform->set_faults(calm);
  m_net = m_net_calm;
  m_store_down_until = m_clock.steady_now();
  if (m_life && m_life->start_failed) kill_life();
  if (!m_life) start_life();
  for (int i = 0; i < 1000 && !m_life->started; ++i) advance(1s);
  if (m_offset != 0ms) {
    m_clock.step_wall(-m_offset);
    m_offset = 0ms;
    m_life->engine->on_clock_step();
  }
  log("end: calm, true time");
  advance(3min);
  m_cover_until = m_max_wall_up;
  ++m_config_version;
  m_config = build_config(false);
  log("end: every job removed; time runs out");
  m_life->engine->reload(m_config);
  for (Millis t{0}; t < k_drain + m_suspended; t += 10min) {
    advance(10min);
    auto open = m_store->non_terminal_runs();
    if (open && open->empty()) break;
  }
}

SeedOutcome World::run() {
  if (m_pair) return run_pair();
  start_life();
  while (m_clock.steady_now() - m_steady_start < k_simulated && m_outcome.steps < k_max_steps &&
         m_outcome.violations.empty()) {
    step();
  }
  if (m_outcome.violations.empty()) {
    finish();
    check_end();
  }
  return summary();
}

// The outcome with what the seed did, at its end.
SeedOutcome World::summary() {
  m_outcome.accepted = static_cast<int>(m_accepted.size());
  m_outcome.runs = static_cast<int>(all_runs().size());
  m_outcome.events = m_events.events();
  return m_outcome;
}

std::vector<storage::RunRow> World::all_runs() {
  std::vector<storage::RunRow> rows;
  for (const auto& job : m_all_jobs) {
    auto r = m_store->recent_runs(job, 1000000);
    if (r) rows.insert(rows.end(), r->begin(), r->end());
  }
  return rows;
}

SeedOutcome run_seed(std::uint64_t seed, bool verbose, SeedFaults faults) {
  World world(seed, verbose, false, faults);
  return world.run();
}

SeedOutcome run_pair_seed(std::uint64_t seed, bool verbose, SeedFaults faults) {
  World world(seed, verbose, true, faults);
  return world.run();
}

std::string describe(const SeedOutcome& o) {
  std::string s = fmt::format("simulation seed {} broke {} invariant(s):\n", o.seed,
                              o.violations.size());
  for (const auto& v : o.violations) s += "  " + v + "\n";
  s += fmt::format(
      "last {} events (of {} steps, {} crashes, {} clean stops, {} reloads, {} commands, {} clock "
      "steps):\n",
      o.events.size(), o.steps, o.crashes, o.stops, o.reloads, o.commands, o.clock_steps);
  for (const auto& e : o.events) s += "  " + e + "\n";
  if (o.pair) {
    s += fmt::format("pair mode: {} takeovers, {} partitions, {} database restarts, {} fenced "
                     "writes\n",
                     o.takeovers, o.partitions, o.db_restarts, o.fenced);
    s += fmt::format("replay: BSCHED_SIM_SEED={} BSCHED_SIM_PAIR=1 ./boomi-sched-tests "
                     "-tc=\"*two nodes*\"\n",
                     o.seed);
  } else {
    s += fmt::format("replay: BSCHED_SIM_SEED={} ./boomi-sched-tests -tc=\"*simulation*\"\n",
                     o.seed);
  }
  return s;
}

}  // namespace bsched::simulation
