// A RunStore that forwards to a real one and counts commits: each outermost in_transaction()
// and each transition / update made outside one. It can refuse one run's transitions and the
// next outermost transaction, to test that a refused write fails only itself.
#pragma once

#include "storage/run_store.h"

#include <optional>
#include <set>

namespace bsched::test {

class CountingStore final : public storage::RunStore {
 public:
  explicit CountingStore(storage::RunStore& inner) : m_inner(inner) {}

  int commits = 0;                 // outermost transactions plus lone transitions / updates
  std::set<int> submitting_in;     // the commits that wrote a `submitting` transition
  std::int64_t refuse_id = 0;      // transitions of this run are refused (busy)
  bool refuse_next_commit = false;  // the next outermost transaction is refused as a whole

  bool in_open_transaction() const { return m_depth > 0; }

  storage::StoreResult<void> in_transaction(
      const std::function<storage::StoreResult<void>()>& fn) override {
    if (m_depth == 0) {
      ++commits;
      m_outer = commits;
      if (refuse_next_commit) {
        refuse_next_commit = false;
        return storage::StoreError{storage::StoreErrorKind::full, "disk full (scripted)"};
      }
    }
    ++m_depth;
    auto r = m_inner.in_transaction(fn);
    --m_depth;
    return r;
  }
  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    return m_inner.create_run(run, now);
  }
  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& update) override {
    if (to == storage::RunState::submitting) submitting_in.insert(m_depth > 0 ? m_outer : -++m_solo);
    if (m_depth == 0) ++commits;
    if (refuse_id == id) return storage::StoreError{storage::StoreErrorKind::busy, "refused (scripted)"};
    return m_inner.transition(id, to, now, update);
  }
  storage::StoreResult<void> update(std::int64_t id, const storage::RunUpdate& u) override {
    if (m_depth == 0) ++commits;
    return m_inner.update(id, u);
  }
  storage::StoreResult<std::optional<storage::RunRow>> find_run(std::int64_t id) override {
    return m_inner.find_run(id);
  }
  storage::StoreResult<std::vector<storage::RunRow>> non_terminal_runs() override {
    return m_inner.non_terminal_runs();
  }
  storage::StoreResult<void> record_gap(const storage::SlotGap& gap) override {
    return m_inner.record_gap(gap);
  }
  storage::StoreResult<storage::JobState> job_state(const std::string& job) override {
    return m_inner.job_state(job);
  }
  storage::StoreResult<void> set_paused(const std::string& job, bool paused,
                                        const std::string& note, const std::string& who,
                                        SysMillis now) override {
    return m_inner.set_paused(job, paused, note, who, now);
  }
  storage::StoreResult<void> set_horizon(const std::string& job,
                                         std::chrono::sys_seconds horizon) override {
    return m_inner.set_horizon(job, horizon);
  }
  storage::StoreResult<std::int64_t> enqueue_command(const storage::Command& c) override {
    return m_inner.enqueue_command(c);
  }
  storage::StoreResult<std::vector<storage::Command>> take_commands(SysMillis now) override {
    return m_inner.take_commands(now);
  }
  storage::StoreResult<void> write_heartbeat(const storage::Heartbeat& hb) override {
    return m_inner.write_heartbeat(hb);
  }
  storage::StoreResult<std::optional<storage::Heartbeat>> read_heartbeat() override {
    return m_inner.read_heartbeat();
  }
  storage::StoreResult<std::int64_t> prune(SysMillis before, int batch) override {
    return m_inner.prune(before, batch);
  }

 private:
  storage::RunStore& m_inner;
  int m_depth = 0;
  int m_outer = 0;
  int m_solo = 0;
};

}  // namespace bsched::test
