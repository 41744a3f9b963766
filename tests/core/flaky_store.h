// A RunStore that forwards to a real one but refuses chosen calls with a scripted error
// (busy, full), to test that the engine survives and retries.
#pragma once

#include "tests/core/forwarding_store.h"

#include <optional>

namespace bsched::test {

class FlakyStore final : public ForwardingStore {
 public:
  explicit FlakyStore(storage::RunStore& inner) : ForwardingStore(inner) {}

  int fail_batches = 0;      // next in_transaction() calls to refuse
  int fail_creates = 0;      // next create_run() calls to refuse
  int fail_transitions = 0;  // next transition() calls to refuse (to `only_to` if set)
  int fail_job_states = 0;   // next job_state() calls to refuse
  int fail_finished_ids = 0;  // next finished_execution_ids() calls to refuse
  std::optional<storage::RunState> only_to;
  storage::StoreErrorKind kind = storage::StoreErrorKind::busy;
  int refused = 0;

  storage::StoreResult<void> in_transaction(
      const std::function<storage::StoreResult<void>()>& fn) override {
    if (fail_batches > 0) {
      --fail_batches;
      return refuse();
    }
    return m_inner.in_transaction(fn);
  }
  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    if (fail_creates > 0) {
      --fail_creates;
      return refuse();
    }
    return m_inner.create_run(run, now);
  }
  storage::StoreResult<std::vector<std::string>> finished_execution_ids(
      const std::string& job, std::chrono::sys_seconds slot_since,
      SysMillis finished_since) override {
    if (fail_finished_ids > 0) {
      --fail_finished_ids;
      return refuse();
    }
    return m_inner.finished_execution_ids(job, slot_since, finished_since);
  }
  storage::StoreResult<storage::JobState> job_state(const std::string& job) override {
    if (fail_job_states > 0) {
      --fail_job_states;
      return refuse();
    }
    return m_inner.job_state(job);
  }
  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& update) override {
    if (fail_transitions > 0 && (!only_to || *only_to == to)) {
      --fail_transitions;
      return refuse();
    }
    return m_inner.transition(id, to, now, update);
  }

 private:
  storage::StoreError refuse() {
    ++refused;
    return storage::StoreError{kind, "database is locked (scripted)"};
  }
};

}  // namespace bsched::test
