// A RunStore that forwards to a real one and counts commits: each outermost in_transaction()
// and each transition / update made outside one. It can refuse one run's transitions and the
// next outermost transaction, to test that a refused write fails only itself.
#pragma once

#include "tests/core/forwarding_store.h"

#include <map>
#include <optional>
#include <set>

namespace bsched::test {

class CountingStore final : public ForwardingStore {
 public:
  explicit CountingStore(storage::RunStore& inner) : ForwardingStore(inner) {}

  int commits = 0;                 // outermost transactions plus lone transitions / updates
  std::set<int> submitting_in;     // the commits that wrote a `submitting` transition
  std::map<int, int> created_submitting;  // commit -> runs created already `submitting`
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
    if (m_depth == 0) ++commits;
    if (run.submitting) ++created_submitting[m_depth > 0 ? m_outer : -++m_solo];
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

 private:
  int m_depth = 0;
  int m_outer = 0;
  int m_solo = 0;
};

}  // namespace bsched::test
