// The run of one `boomi-sched exec`, as the tracking decisions see it (an in-memory row) and,
// when the state database could be opened for writing, as `history` and `status` see it (its
// row in the runs table, trigger exec). Every change of state goes through
// storage::enter_state in memory and RunStore::transition in the database, so both refuse the
// same illegal transitions. A write the database refuses ends the recording with one warning
// line on stderr; the run goes on in memory.
#pragma once

#include "daemon/core/decisions.h"
#include "storage/run_store.h"

#include <memory>
#include <set>
#include <string>

namespace bsched::cli {

class ExecRecord {
 public:
  // `store` null: nothing is recorded (the caller said why).
  explicit ExecRecord(std::unique_ptr<storage::RunStore> store);

  // The run is created `submitting` with its first request counted, before it leaves.
  void begin(const storage::NewRun& run, SysMillis now);
  // Another request leaves (after a sure failure): counted, possibly accepted from now on.
  void resend(SysMillis now);
  // A decision's step: its transition (or same-state update) in memory and in the store.
  void apply(const core::RunStep& step, SysMillis now);

  // The execution ids other runs of `job` hold (in flight, or finished since shortly before
  // this run's request left), so that a record found by query is never theirs. Empty when
  // nothing is recorded.
  std::set<std::string> claimed(const config::Job& job) const;

  const storage::RunRow& row() const { return m_row; }
  bool recording() const { return m_store != nullptr; }

 private:
  void write(const char* what, const storage::StoreResult<void>& r);

  std::unique_ptr<storage::RunStore> m_store;
  storage::RunRow m_row;
};

}  // namespace bsched::cli
