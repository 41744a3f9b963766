#include "daemon/core/runs_in_flight.h"

#include <algorithm>

namespace bsched::core {

void RunsInFlight::add(std::shared_ptr<Tracked> run) {
  m_by_job[run->row.job].insert(run->row.id);
  auto id = run->row.id;
  m_runs.emplace(id, std::move(run));
}

void RunsInFlight::remove(const Tracked& run) {
  auto id = run.row.id;
  if (auto it = m_by_job.find(run.row.job); it != m_by_job.end()) {
    it->second.erase(id);
    if (it->second.empty()) m_by_job.erase(it);
  }
  m_runs.erase(id);
}

std::optional<std::int64_t> RunsInFlight::oldest_active(const std::string& job) const {
  auto it = m_by_job.find(job);
  if (it == m_by_job.end()) return std::nullopt;
  for (auto id : it->second) {
    if (m_runs.at(id)->wait != Tracked::Wait::queued) return id;
  }
  return std::nullopt;
}

std::shared_ptr<Tracked> RunsInFlight::first_held(const std::string& job) const {
  auto it = m_by_job.find(job);
  if (it == m_by_job.end()) return nullptr;
  for (auto id : it->second) {
    const auto& run = m_runs.at(id);
    if (run->wait == Tracked::Wait::queued) return run;
  }
  return nullptr;
}

std::vector<MatchWindow> RunsInFlight::rivals(const Tracked& t) const {
  std::vector<MatchWindow> out;
  if (!t.row.execution_id.empty()) return out;
  for (const auto& [id, other] : m_runs) {
    if (other->job->process_id != t.job->process_id ||
        other->job->settings->atom_id != t.job->settings->atom_id) {
      continue;
    }
    if (blocks_match(t.row, other->row, other->mode)) {
      out.push_back(match_window(other->row, *other->job));
    }
  }
  return out;
}

void RunsInFlight::forget_old_claims(SysMillis now) {
  auto horizon = now;
  for (const auto& [id, t] : m_runs) horizon = std::min(horizon, sent_at(t->row));
  m_claims.forget_before(horizon - 2 * k_reconcile_margin);
}

}  // namespace bsched::core
