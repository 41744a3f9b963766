#include "daemon/cli/exec_record.h"

#include <fmt/core.h>

namespace bsched::cli {

ExecRecord::ExecRecord(std::unique_ptr<storage::RunStore> store) : m_store(std::move(store)) {}

void ExecRecord::write(const char* what, const storage::StoreResult<void>& r) {
  if (r || !m_store) return;
  // One line, then the run goes on unrecorded: exec never fails for the store's sake.
  fmt::print(stderr,
             "exec: warning: the state database stopped recording this run ({} refused: {}); "
             "history shows run {} as it was last written\n",
             what, r.error().message, m_row.run_id);
  m_store.reset();
}

void ExecRecord::begin(const storage::NewRun& run, SysMillis now) {
  m_row.run_id = run.run_id;
  m_row.job = run.job;
  m_row.trigger = run.trigger;
  m_row.slot = run.slot;
  m_row.properties_json = run.properties_json;
  m_row.created_at = now;
  if (m_store) {
    auto stored = m_store->create_run(run, now);
    if (stored) {
      m_row = *stored;
      return;
    }
    write("create", stored.error());
  }
  if (run.submitting) {
    // The same move create_run makes in its transaction; legal from `scheduled`.
    (void)storage::enter_state(m_row, storage::RunState::submitting, now, storage::first_send(now));
  }
}

std::set<std::string> ExecRecord::claimed(const config::Job& job) const {
  std::set<std::string> ids;
  if (!m_store) return ids;
  auto recent = core::recent_finishes(job, core::sent_at(m_row));
  if (auto done = m_store->finished_execution_ids(job.name, recent.slot_since,
                                                  recent.finished_since)) {
    ids.insert(done->begin(), done->end());
  }
  if (auto open = m_store->non_terminal_runs()) {
    for (const auto& r : *open) {
      if (r.id != m_row.id && r.job == job.name && !r.execution_id.empty()) {
        ids.insert(r.execution_id);
      }
    }
  }
  return ids;
}

void ExecRecord::resend(SysMillis now) {
  storage::RunUpdate sending;
  sending.attempts = m_row.attempts + 1;
  sending.last_sent_at = now;
  sending.next_action_at = std::optional<SysMillis>();
  sending.maybe_accepted = true;  // durable before the request leaves
  if (m_store) write("update", m_store->update(m_row.id, sending));
  storage::apply_update(m_row, sending);
}

void ExecRecord::apply(const core::RunStep& step, SysMillis now) {
  if (!step.to) {
    if (m_store) write("update", m_store->update(m_row.id, step.update));
    storage::apply_update(m_row, step.update);
    return;
  }
  if (m_store) {
    auto stored = m_store->transition(m_row.id, *step.to, now, step.update);
    if (stored) {
      m_row = *stored;
      return;
    }
    write("transition", stored.error());
  }
  // Refused only for a pair the decisions never produce; the row then keeps its state.
  (void)storage::enter_state(m_row, *step.to, now, step.update);
}

}  // namespace bsched::cli
