// A burst (more jobs due on one instant than one batch) prepared ahead of its instant: the
// runs written `scheduled` for it, by job (Engine::Impl::prepare_burst). At the instant each
// is taken on when it still fits (decisions.h, take_prepared_run) or deleted.
#pragma once

#include "daemon/core/tracked.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace bsched::core {

class PreparedBurst {
 public:
  // The instant prepared (none: no burst is).
  std::optional<sys_seconds> instant() const { return m_instant; }
  // Prepares `instant` from now on, with no run yet (runs of an earlier instant are forgotten).
  void start(sys_seconds instant) {
    m_runs.clear();
    m_instant = instant;
  }
  void add(const std::string& job, PreparedRun run) { m_runs.insert_or_assign(job, std::move(run)); }
  // The run prepared for `job` at `slot`, taken out; none when `slot` is not the instant.
  std::optional<PreparedRun> take(const std::string& job, sys_seconds slot) {
    if (m_instant != slot) return std::nullopt;
    auto it = m_runs.find(job);
    if (it == m_runs.end()) return std::nullopt;
    std::optional<PreparedRun> run = std::move(it->second);
    m_runs.erase(it);
    return run;
  }
  std::size_t size() const { return m_runs.size(); }
  bool empty() const { return m_runs.empty(); }
  auto begin() { return m_runs.begin(); }
  auto end() { return m_runs.end(); }
  auto begin() const { return m_runs.begin(); }
  auto end() const { return m_runs.end(); }
  // Forgets the runs, keeping the instant (it is not prepared again).
  void forget_runs() { m_runs.clear(); }
  // Forgets the runs and the instant.
  void forget() {
    m_runs.clear();
    m_instant.reset();
  }

 private:
  std::optional<sys_seconds> m_instant;
  std::unordered_map<std::string, PreparedRun> m_runs;
};

}  // namespace bsched::core
