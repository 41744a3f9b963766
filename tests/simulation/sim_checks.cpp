// The invariants (docs/testing.md, "Deterministic simulation"): checked as the platform
// accepts each trigger, at each stored state change (sim_observer.h) and at the end.
#include "tests/simulation/sim_world_impl.h"

#include <fmt/format.h>

namespace bsched::simulation {

using storage::RunState;
using storage::Trigger;

// No slot submitted twice, counted at the platform: one execution per run, one run per
// scheduled slot. The run must exist in the store before its request leaves.
void World::on_accepted(const Accepted& a) {
  m_accepted.push_back(a);
  m_truth[a.execution_id] = &m_accepted.back();
  log(fmt::format("platform: accepted {} as {} ({})", a.run_id, a.execution_id, a.request_id));
  if (++m_sent_by_run[a.run_id] > 1) {
    violation(fmt::format("run {} started {} executions on the platform (submitted twice)",
                          a.run_id, m_sent_by_run[a.run_id]));
  }
  auto created = m_observed->created.find(a.run_id);
  if (created == m_observed->created.end()) {
    return violation("the platform accepted a request of run " + a.run_id +
                     ", which no stored run has");
  }
  const auto& c = created->second;
  if (c.trigger == Trigger::manual) return;
  auto [it, fresh] = m_sent_by_slot.emplace(std::make_pair(c.job, c.slot), a.run_id);
  if (!fresh && it->second != a.run_id) {
    violation(fmt::format("slot {} of {} submitted twice: by {} and by {}", format_utc(c.slot),
                          c.job, it->second, a.run_id));
  }
}

// No run is credited with an execution another request started. Taking a record that its
// own run already holds is always a violation; taking one whose run has not tied it yet is
// the reconcile heuristic's known ambiguity (two uncertain or unanswered triggers of one
// process in each other's windows), counted apart unless BSCHED_SIM_STRICT is set.
void World::on_tied(const std::string& run_id, const std::string& execution_id,
                    const std::string& matched_by) {
  log(fmt::format("tie: {} -> {} ({})", run_id, execution_id, matched_by));
  auto t = m_truth.find(execution_id);
  if (t == m_truth.end()) {
    return violation("run " + run_id + " tied to execution " + execution_id +
                     ", which the platform never started");
  }
  const std::string& owner = t->second->run_id;
  auto [held, fresh] = m_held.emplace(execution_id, run_id);
  if (fresh || held->second == run_id) return;
  if (held->second == owner) {
    return wrong_credit(fmt::format("run {} took execution {} ({}), which its own run {} "
                                    "already held",
                                    run_id, execution_id, matched_by, owner),
                        false);
  }
  // Someone else took it first, before its owner tied it: ambiguous (see check_end).
}

void World::wrong_credit(std::string what, bool ambiguous) {
  if (m_strict || (!ambiguous && !m_skewed)) return violation(std::move(what));
  what = (m_skewed ? "under clock skew: " : "ambiguous: ") + what;
  log(what);
  m_outcome.ambiguous.push_back(std::move(what));
}

namespace {

bool covered_by_gap(const std::vector<storage::SlotGap>& gaps, std::chrono::sys_seconds slot) {
  for (const auto& g : gaps) {
    if (g.first <= slot && slot <= g.last && !g.reason.empty()) return true;
  }
  return false;
}

}  // namespace

void World::check_end() {
  const auto rows = all_runs();
  std::map<std::string, const storage::RunRow*> by_run_id;
  std::map<std::string, std::vector<const storage::RunRow*>> by_execution;
  for (const auto& row : rows) {
    by_run_id[row.run_id] = &row;
    if (!row.execution_id.empty()) by_execution[row.execution_id].push_back(&row);
    // No run non-terminal past its deadline: time ran out past every deadline.
    if (!storage::is_terminal(row.state)) {
      violation(fmt::format("run {} of {} ({}) still {} after the end", row.run_id, row.job,
                            format_utc(row.slot), storage::to_string(row.state)));
    }
  }
  // Every execution the platform started is tracked by exactly one run, or shown unknown.
  const auto& truth = m_truth;
  for (const auto& a : m_accepted) {
    auto it = by_run_id.find(a.run_id);
    if (it == by_run_id.end()) {
      violation("execution " + a.execution_id + " of run " + a.run_id + " is tracked by no run");
      continue;
    }
    const auto& row = *it->second;
    auto holders = by_execution.find(a.execution_id);
    const bool taken = holders != by_execution.end() &&
                       std::any_of(holders->second.begin(), holders->second.end(),
                                   [&](const auto* h) { return h->run_id != a.run_id; });
    auto own = truth.find(row.execution_id);
    const bool took_other = own != truth.end() && own->second->run_id != row.run_id;
    if (taken || took_other) continue;  // judged below as a credit
    const bool tracks = row.execution_id == a.execution_id || row.request_id == a.request_id ||
                        row.state == RunState::unknown;
    if (!tracks) {
      violation(fmt::format("execution {} of run {} is not tracked: the run ended {} with "
                            "execution '{}', request '{}'",
                            a.execution_id, a.run_id, storage::to_string(row.state),
                            row.execution_id, row.request_id));
    }
  }
  // No run credited with an execution another request started.
  for (const auto& [execution, holders] : by_execution) {
    auto t = truth.find(execution);
    for (const auto* row : holders) {
      if (t == truth.end()) {
        violation("run " + row->run_id + " holds execution " + execution +
                  ", which the platform never started");
      } else if (t->second->run_id != row->run_id) {
        wrong_credit("run " + row->run_id + " is credited with execution " + execution +
                         ", started by run " + t->second->run_id,
                     true);
      }
    }
  }
  // Every slot of a checked job either has a run or is in the missed ledger with a reason.
  const auto until = std::chrono::floor<std::chrono::seconds>(m_cover_until.value_or(m_max_wall_up) - std::chrono::seconds(2));
  const auto from = std::chrono::floor<std::chrono::seconds>(m_first_up.value_or(m_true_start));
  for (const auto& spec : m_specs) {
    if (!spec.checked) continue;
    std::set<std::chrono::sys_seconds> ran;
    for (const auto& row : rows) {
      if (row.job == spec.name && row.trigger != Trigger::manual) ran.insert(row.slot);
    }
    auto gaps = m_store->gaps(spec.name, 1000000);
    if (!gaps) return violation("gaps() failed: " + gaps.error().message);
    config::Job job;
    job.schedules.push_back(*config::Schedule::parse(spec.schedule, spec.name, utc_zone()));
    int reported = 0;
    for (auto slot = job.next_after(from); slot && *slot <= until; slot = job.next_after(*slot)) {
      if (ran.count(*slot) || covered_by_gap(*gaps, *slot)) continue;
      if (++reported <= 5) {
        violation("slot " + format_utc(*slot) + " of " + spec.name +
                  " neither ran nor is in the missed ledger");
      }
    }
  }
}

}  // namespace bsched::simulation
