// The runs this engine tracks (non-terminal), by row id and by job, and the execution ids
// they hold. It owns the table; the trackers' coroutines (run_tracker.cpp) and the store
// are the engine's.
#pragma once

#include "daemon/core/claim_ledger.h"
#include "daemon/core/decisions.h"
#include "daemon/core/tracked.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bsched::core {

class RunsInFlight {
 public:
  using Table = std::map<std::int64_t, std::shared_ptr<Tracked>>;  // by row id: oldest first

  void add(std::shared_ptr<Tracked> run);
  void remove(const Tracked& run);
  std::size_t size() const { return m_runs.size(); }
  auto begin() const { return m_runs.begin(); }
  auto end() const { return m_runs.end(); }

  // The oldest run of `job` that is not queued (overlap's "in flight"); none: nothing is.
  std::optional<std::int64_t> oldest_active(const std::string& job) const;
  // The oldest run of `job` waiting behind another (overlap: queue); null: none waits.
  std::shared_ptr<Tracked> first_held(const std::string& job) const;
  bool has_held(const std::string& job) const { return first_held(job) != nullptr; }

  // The match windows of the runs for run's process and runtime that keep it from taking a
  // record in them (blocks_match): sent before it, or learning their own record exactly.
  std::vector<MatchWindow> rivals(const Tracked& run) const;

  // Execution ids held by runs (reconcile never takes them). `now` dates a new claim.
  void claim(const std::string& execution_id, SysMillis now) { m_claims.claim(execution_id, now); }
  const std::set<std::string>& claimed() const { return m_claims.held(); }
  std::size_t claim_count() const { return m_claims.size(); }
  // Drops the claims no reconcile of a run in flight can meet any more: a reconcile looks at
  // records executed from its request's send − k_reconcile_margin on, and a record is claimed
  // after it was executed, so a claim made before every run in flight was sent, by more than
  // that margin (and as much again for the platform's clock), is dropped.
  void forget_old_claims(SysMillis now);

 private:
  Table m_runs;
  std::map<std::string, std::set<std::int64_t>, std::less<>> m_by_job;  // ids in m_runs
  ClaimLedger m_claims;
};

}  // namespace bsched::core
