// A RunStore that forwards every call to a real one. Test doubles derive from it and
// override only the calls they script or count.
#pragma once

#include "storage/run_store.h"

namespace bsched::test {

class ForwardingStore : public storage::RunStore {
 public:
  explicit ForwardingStore(storage::RunStore& inner) : m_inner(inner) {}

  storage::StoreResult<void> in_transaction(
      const std::function<storage::StoreResult<void>()>& fn) override {
    return m_inner.in_transaction(fn);
  }
  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    return m_inner.create_run(run, now);
  }
  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& update) override {
    return m_inner.transition(id, to, now, update);
  }
  storage::StoreResult<void> update(std::int64_t id, const storage::RunUpdate& u) override {
    return m_inner.update(id, u);
  }
  storage::StoreResult<std::optional<storage::RunRow>> find_run(std::int64_t id) override {
    return m_inner.find_run(id);
  }
  storage::StoreResult<std::vector<storage::RunRow>> non_terminal_runs() override {
    return m_inner.non_terminal_runs();
  }
  storage::StoreResult<std::vector<std::string>> finished_execution_ids(
      const std::string& job, std::chrono::sys_seconds slot_since,
      SysMillis finished_since) override {
    return m_inner.finished_execution_ids(job, slot_since, finished_since);
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
  storage::StoreResult<storage::StoreTotals> totals() override { return m_inner.totals(); }
  storage::StoreResult<void> record_alert(const storage::NewAlert& a) override {
    return m_inner.record_alert(a);
  }
  storage::StoreResult<std::vector<storage::AlertDelivery>> due_alerts(SysMillis now,
                                                                       int limit) override {
    return m_inner.due_alerts(now, limit);
  }
  storage::StoreResult<std::optional<SysMillis>> next_alert_at() override {
    return m_inner.next_alert_at();
  }
  storage::StoreResult<void> settle_alerts(const std::vector<std::int64_t>& ids,
                                           const storage::AlertOutcome& o) override {
    return m_inner.settle_alerts(ids, o);
  }
  storage::StoreResult<std::optional<SysMillis>> last_alert_sent(
      const std::string& sink, const std::string& job, storage::AlertKind kind) override {
    return m_inner.last_alert_sent(sink, job, kind);
  }
  storage::StoreResult<std::int64_t> failure_streak(
      const std::string& job, std::optional<std::chrono::sys_seconds> before) override {
    return m_inner.failure_streak(job, before);
  }

 protected:
  storage::RunStore& m_inner;
};

}  // namespace bsched::test
