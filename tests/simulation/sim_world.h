// Deterministic simulation (docs/testing.md, "Deterministic simulation"): the real Engine,
// run tracker, BoomiClient (classify, pacer) and SQLite store against a simulated platform,
// network, clock and process, everything drawn from one seed. run_seed() plays one seed
// from start to end and checks the invariants during the run and at its end; the same seed
// always plays the same events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bsched::simulation {

struct SeedOutcome {
  std::uint64_t seed = 0;
  std::vector<std::string> violations;  // empty: every invariant held
  std::vector<std::string> events;      // the last k_kept_events events, oldest first
  // Records credited by reconciling to a run that did not start them while their own run had
  // not tied them yet: the query API cannot tell two uncertain triggers of one process apart
  // (docs/testing.md). Counted, and violations only with BSCHED_SIM_STRICT=1.
  std::vector<std::string> ambiguous;
  // What the seed did, for the summary.
  int steps = 0;
  int crashes = 0;
  int stops = 0;  // clean stops (SIGTERM): Engine::stop awaited, then a restart
  int reloads = 0;
  int commands = 0;
  int clock_steps = 0;
  int accepted = 0;  // executions the platform started
  int runs = 0;      // runs in the store at the end
  // Pair mode only.
  bool pair = false;
  int takeovers = 0;    // a node became leader under a new epoch after the other held it
  int partitions = 0;   // a node's claims got no answer for a while
  int db_restarts = 0;  // both nodes' claims failed for a while
  int fenced = 0;       // writes the fencing store refused
  int late_sends = 0;   // triggers that left after their term ended (the lease still held)
  int store_outages = 0;  // the store refused every call for a while
  int store_refused = 0;  // calls it refused then (a pair: also a node's partitions and restarts)
  bool commit_lane = false;  // the engine's store calls went through a SimLane
  int lost_answers = 0;      // transactions that committed but answered an error

  bool ok() const { return violations.empty(); }
};

inline constexpr std::size_t k_kept_events = 200;

// Faults a seed may draw that were added after some seeds were pinned: a pinned seed turns
// them off to keep playing the events it was pinned for.
struct SeedFaults {
  bool store_outages = true;  // the store refuses every call for a while (busy, full, no answer)
  // Half the single-node seeds make the engine's store calls through a simulated commit
  // thread (SimLane: later, at simulated instants, as on PostgreSQL).
  bool commit_lane = true;
  // A quarter of the seeds lose the answer of 2 % of the store's committed transactions: the
  // engine hears an error for a write that is stored (PostgreSQL: the connection closed after
  // COMMIT was sent).
  bool lost_answers = true;
  // Clean stops (SIGTERM, a restart by the service manager): the engine stopped as the daemon
  // stops it, then the process gone; on a pair, the leader resigns and the standby, woken as
  // NOTIFY wakes it, claims at once. Drawn apart, so a seed that draws none plays as before.
  bool clean_stops = true;
};

// Plays one seed. `verbose`: every event is also printed to stdout as it happens.
SeedOutcome run_seed(std::uint64_t seed, bool verbose = false, SeedFaults faults = {});

// Plays one seed with two nodes of an active/standby pair (docs/testing.md, "pair mode").
SeedOutcome run_pair_seed(std::uint64_t seed, bool verbose = false, SeedFaults faults = {});

// The seed, the broken invariants and the event list, for a failure message.
std::string describe(const SeedOutcome& outcome);

}  // namespace bsched::simulation
