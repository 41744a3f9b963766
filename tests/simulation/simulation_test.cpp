// The deterministic simulation (docs/testing.md, "Deterministic simulation"): as many seeds as
// fit in the time budget, each a few simulated hours of the real engine against a simulated
// platform, network, clock and crashes; any broken invariant fails with its seed and events.
//
//   BSCHED_SIM_SECONDS=N  the budget in seconds (default 60)
//   BSCHED_SIM_SEEDS=N    exactly N seeds instead (long mode), from BSCHED_SIM_FIRST (default 1)
//   BSCHED_SIM_SEED=N     that one seed only (replay); BSCHED_SIM_VERBOSE=1 prints its events
//   BSCHED_SIM_PAIR=1     with BSCHED_SIM_SEED: replay the seed in pair mode (two nodes)
//   BSCHED_SIM_PINNED=1   with BSCHED_SIM_SEED: replay it as the pinned cases do (no store
//                         outages, no commit lane)
//   BSCHED_SIM_LANE=0|1   the engine's store calls through a simulated commit thread (SimLane,
//                         one per engine) or not, whatever the seed chooses
//
// The pair mode's case ("two nodes of a pair") takes the same variables, with a budget of
// 20 s by default.
#include "tests/simulation/sim_world.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

using namespace bsched::simulation;

namespace {

std::optional<std::uint64_t> env_number(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::strtoull(v, nullptr, 10);
}

// The pinned seeds were found before the store outages and the commit lane: without them
// they play the events they were pinned for.
constexpr SeedFaults k_pinned{
    .store_outages = false, .commit_lane = false, .lost_answers = false, .clean_stops = false};

// A replay as a pinned seed plays (BSCHED_SIM_PINNED=1), or as the budget's seeds do.
SeedFaults replay_faults() {
  return env_number("BSCHED_SIM_PINNED").value_or(0) != 0 ? k_pinned : SeedFaults{};
}

void require_ok(const SeedOutcome& o) {
  INFO(describe(o));
  CHECK(o.ok());
}

}  // namespace

TEST_SUITE("simulation") {
  TEST_CASE("simulation: every seed in the time budget keeps every invariant") {
    const bool verbose = env_number("BSCHED_SIM_VERBOSE").value_or(0) != 0;
    if (env_number("BSCHED_SIM_PAIR").value_or(0) != 0) return;  // a pair replay
    if (auto seed = env_number("BSCHED_SIM_SEED")) {
      auto o = run_seed(*seed, verbose, replay_faults());
      MESSAGE(fmt::format("seed {}: {} steps, {} crashes, {} clean stops, {} executions, {} "
                          "runs, {} commit answers lost{}",
                          *seed, o.steps, o.crashes, o.stops, o.accepted, o.runs, o.lost_answers,
                          o.commit_lane ? ", commit lane" : ""));
      return require_ok(o);
    }
    const auto seeds = env_number("BSCHED_SIM_SEEDS");
    const auto budget = std::chrono::seconds(env_number("BSCHED_SIM_SECONDS").value_or(60));
    const auto first = env_number("BSCHED_SIM_FIRST").value_or(1);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t count = 0;
    int failures = 0;
    long crashes = 0, executions = 0, ambiguous = 0, skewed = 0, outages = 0, refused = 0;
    long laned = 0, lost = 0, stops = 0;
    for (auto seed = first;; ++seed) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (seeds ? count >= *seeds : elapsed >= budget) break;
      auto o = run_seed(seed, verbose);
      ++count;
      laned += o.commit_lane;
      lost += o.lost_answers;
      crashes += o.crashes;
      stops += o.stops;
      executions += o.accepted;
      outages += o.store_outages;
      refused += o.store_refused;
      for (const auto& a : o.ambiguous) ++(a.starts_with("under clock skew") ? skewed : ambiguous);
      if (!o.ok()) {
        ++failures;
        std::cout << describe(o) << std::flush;
        CHECK_MESSAGE(o.ok(), "seed " << seed);
        if (failures >= 3) break;
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE(fmt::format("simulation: {} seeds from {} in {:.1f} s ({:.1f} seeds/s), {} with a "
                        "commit lane, {} commit answers lost, {} crashes, {} clean stops, {} "
                        "store outages ({} calls refused), {} executions, {} credited "
                        "ambiguously, {} under clock skew, {} failed",
                        count, first, secs, count / secs, laned, lost, crashes, stops, outages,
                        refused,
                        executions, ambiguous, skewed, failures));
    CHECK(count > 0);
  }

  TEST_CASE("simulation: two nodes of a pair, every seed in the time budget keeps every invariant") {
    const bool verbose = env_number("BSCHED_SIM_VERBOSE").value_or(0) != 0;
    if (auto seed = env_number("BSCHED_SIM_SEED")) {
      if (env_number("BSCHED_SIM_PAIR").value_or(0) == 0) return;  // a single-mode replay
      auto o = run_pair_seed(*seed, verbose, replay_faults());
      MESSAGE(fmt::format("pair seed {}: {} steps, {} crashes, {} clean stops, {} takeovers, {} "
                          "partitions, {} database restarts, {} fenced writes, {} late "
                          "triggers, {} executions, {} runs{}",
                          *seed, o.steps, o.crashes, o.stops, o.takeovers, o.partitions, o.db_restarts,
                          o.fenced, o.late_sends, o.accepted, o.runs,
                          o.commit_lane ? ", commit lanes" : ""));
      return require_ok(o);
    }
    const auto seeds = env_number("BSCHED_SIM_SEEDS");
    const auto budget = std::chrono::seconds(env_number("BSCHED_SIM_SECONDS").value_or(20));
    const auto first = env_number("BSCHED_SIM_FIRST").value_or(1);
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t count = 0;
    int failures = 0;
    long crashes = 0, executions = 0, takeovers = 0, partitions = 0, restarts = 0, fenced = 0,
         late = 0, ambiguous = 0, outages = 0, refused = 0, laned = 0, lost = 0, stops = 0;
    for (auto seed = first;; ++seed) {
      const auto elapsed = std::chrono::steady_clock::now() - start;
      if (seeds ? count >= *seeds : elapsed >= budget) break;
      auto o = run_pair_seed(seed, verbose);
      ++count;
      laned += o.commit_lane;
      lost += o.lost_answers;
      crashes += o.crashes;
      stops += o.stops;
      executions += o.accepted;
      takeovers += o.takeovers;
      partitions += o.partitions;
      restarts += o.db_restarts;
      fenced += o.fenced;
      late += o.late_sends;
      outages += o.store_outages;
      refused += o.store_refused;
      ambiguous += static_cast<long>(o.ambiguous.size());
      if (!o.ok()) {
        ++failures;
        std::cout << describe(o) << std::flush;
        CHECK_MESSAGE(o.ok(), "pair seed " << seed);
        if (failures >= 3) break;
      }
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    MESSAGE(fmt::format("simulation, pair: {} seeds from {} in {:.1f} s ({:.2f} seeds/s), {} "
                        "with commit lanes, {} commit answers lost, {} crashes, {} clean stops, "
                        "{} takeovers, {} partitions, {} database restarts, {} store outages "
                        "({} calls refused), {} fenced writes, {} triggers sent after their "
                        "term ended, {} executions, {} credited ambiguously, {} failed",
                        count, first, secs, count / secs, laned, lost, crashes, stops, takeovers,
                        partitions, restarts, outages, refused, fenced, late, executions,
                        ambiguous, failures));
    CHECK(count > 0);
  }

  // Pair seed 150 (found by the pair mode): node a, leading under epoch 1 with a poll of
  // run-4 in flight (a slow answer), was partitioned from the lease; its sending window closed
  // (lost, overdue) and its term ended. Its next claim came back under the same epoch, a new
  // term recovered run-4 and polled it: complete. Then the ended term's poll answered and its
  // tracker wrote run-4 complete -> running (refused as illegal; a legal one would have been
  // stored over the next term's). An engine that ended now stores no answer
  // (Engine::Impl::apply, Phase::ended).
  TEST_CASE("simulation: pair seed 150, a term that ended writes nothing over the next term's "
            "runs") {
    require_ok(run_pair_seed(150, false, k_pinned));
  }

  // Pair seed 214, the same across nodes: node a's term 7 sent run-25's trigger, then a was
  // partitioned from the lease, lost it (overdue) and its term ended with the answer still on
  // the way; b took over (epoch 8), reconciled run-25 by query: complete. Then a's trigger
  // answer arrived and a's ended term wrote run-25 complete -> submitted (refused as illegal).
  // Seeds 156 (error -> running) and 184 (a trigger answer stored as submitted by an ended
  // term) showed the same.
  TEST_CASE("simulation: pair seed 214, a node that lost the lease writes nothing over the new "
            "leader's runs") {
    require_ok(run_pair_seed(214, false, k_pinned));
  }

  // Seed 115: two catch-up runs of one job sent together, both answered, then crashes while
  // their async results expired; after a restart the second reconciled by query and took the
  // record the first had already been tied to (recovery re-claimed finished runs' records only
  // for runs resumed uncertain, not for polled ones).
  TEST_CASE("simulation: seed 115, a polled run resumed after a restart never takes a finished run's record") {
    require_ok(run_seed(115, false, k_pinned));
  }

  // Seed 118: a run queued behind another (overlap: queue) of a paused job, the wall clock
  // stepped back before its slot, a crash: recovery deleted the row, and the slot was lost
  // from the history (no run, no gap).
  TEST_CASE("simulation: seed 118, a queued run survives a restart after the wall clock stepped back") {
    require_ok(run_seed(118, false, k_pinned));
  }

  // Seed 11: a run whose trigger's answer was lost reconciled while a later run of the same
  // process, answered, still polled by its requestId; the earlier run took the later run's
  // record (counted apart as ambiguous then). A run learning its record by request now
  // blocks reconciling runs from its window until it is tied (blocks_match).
  TEST_CASE("simulation: seed 11, a reconciling run never takes the record of a later run polling for it") {
    auto o = run_seed(11, false, k_pinned);
    require_ok(o);
    CHECK_MESSAGE(o.ambiguous.empty(), describe(o));
  }

  // Seed 2003161 (the long run, with store outages and lost commit answers): a running run
  // whose async result expired could not be found by query (its request was stamped while the
  // wall clock was ahead), so it ends at run_timeout, measured on the steady clock from its
  // tracker's anchor, which a start with the wall clock 2 h 18 min behind had set. The end
  // phase stopped at 16 h with it still running; it now lasts past every such deadline.
  TEST_CASE("simulation: seed 2003161, the end phase outlasts a deadline counted from an anchor "
            "taken with the wall clock behind") {
    require_ok(run_seed(2003161, false, {.clean_stops = false}));
  }

  // Seed 1002012 (the long run, with clean stops): a run tied to its record by request had
  // its times stamped 1 h 42 min behind the wall clock (a suspend between its `submitting`
  // commit and its request leaving), so after a crash the recent finishes read at the start
  // missed it and a run sent with it took its record by query. A reconcile now asks the store
  // which records any run holds ("a reconcile never takes a record a finished run holds…",
  // tests/core/engine_recovery_test.cpp).
  TEST_CASE("simulation: seed 1002012, a reconcile never takes a record a finished run holds") {
    require_ok(run_seed(1002012));
  }

  // Pair seed 2001311 (the long run): the wall clock stepped back 69 s while term 1 started;
  // the checks took the slots after the earlier instant as owed, though the engine had
  // registered its jobs at the later one. A harness limit (World::m_first_up), pinned.
  TEST_CASE("simulation: pair seed 2001311, slots before the first start are not owed after a "
            "step back during it") {
    require_ok(run_pair_seed(2001311));
  }

  TEST_CASE("simulation: one seed replays exactly the same events") {
    auto a = run_seed(7);
    run_seed(8);  // another seed in between leaves the heap (and timer addresses) different
    auto b = run_seed(7);
    CHECK(a.steps == b.steps);
    CHECK(a.crashes == b.crashes);
    CHECK(a.accepted == b.accepted);
    CHECK(a.events == b.events);
    CHECK(a.accepted > 0);
  }

  TEST_CASE("simulation: one pair seed replays exactly the same events") {
    auto a = run_pair_seed(3);
    run_seed(8);
    auto b = run_pair_seed(3);
    CHECK(a.steps == b.steps);
    CHECK(a.takeovers == b.takeovers);
    CHECK(a.accepted == b.accepted);
    CHECK(a.events == b.events);
    CHECK(a.takeovers > 0);
    CHECK(a.accepted > 0);
  }
}
