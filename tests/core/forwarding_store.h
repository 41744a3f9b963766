// A RunStore that forwards every call to a real one. Test doubles derive from it and
// override only the calls they script or count. With `refuse` set, each call it answers with
// an error fails with that error instead of reaching the real store (a store that is down).
#pragma once

#include "storage/run_store.h"

#include <functional>
#include <optional>
#include <string_view>

namespace bsched::test {

class ForwardingStore : public storage::RunStore {
 public:
  explicit ForwardingStore(storage::RunStore& inner) : m_inner(inner) {}
  // Not copyable: a ForwardingStore made from another one forwards to it (pass it as a
  // RunStore&), never to a copy of its inner store.
  ForwardingStore(const ForwardingStore&) = delete;
  ForwardingStore& operator=(const ForwardingStore&) = delete;

  storage::StoreResult<void> in_transaction(
      const std::function<storage::StoreResult<void>()>& fn) override {
    if (auto e = refused("in_transaction")) return *e;
    ++m_depth;
    auto r = m_inner.in_transaction(fn);
    --m_depth;
    if (r && m_depth == 0 && lose_answer) {
      if (auto e = lose_answer()) return *e;  // committed, but the caller hears it failed
    }
    return r;
  }
  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    if (auto e = refused("create_run")) return *e;
    return m_inner.create_run(run, now);
  }
  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& update) override {
    if (auto e = refused("transition")) return *e;
    return m_inner.transition(id, to, now, update);
  }
  storage::StoreResult<void> update(std::int64_t id, const storage::RunUpdate& u) override {
    if (auto e = refused("update")) return *e;
    return m_inner.update(id, u);
  }
  storage::StoreResult<std::optional<storage::RunRow>> find_run(std::int64_t id) override {
    if (auto e = refused("find_run")) return *e;
    return m_inner.find_run(id);
  }
  storage::StoreResult<std::vector<storage::RunRow>> non_terminal_runs() override {
    if (auto e = refused("non_terminal_runs")) return *e;
    return m_inner.non_terminal_runs();
  }
  storage::StoreResult<std::vector<std::string>> finished_execution_ids(
      const std::string& job, std::chrono::sys_seconds slot_since,
      SysMillis finished_since) override {
    if (auto e = refused("finished_execution_ids")) return *e;
    return m_inner.finished_execution_ids(job, slot_since, finished_since);
  }
  storage::StoreResult<std::vector<std::string>> held_execution_ids(
      const std::vector<std::string>& execution_ids) override {
    if (auto e = refused("held_execution_ids")) return *e;
    return m_inner.held_execution_ids(execution_ids);
  }
  storage::StoreResult<void> record_gap(const storage::SlotGap& gap) override {
    if (auto e = refused("record_gap")) return *e;
    return m_inner.record_gap(gap);
  }
  storage::StoreResult<storage::JobState> job_state(const std::string& job) override {
    if (auto e = refused("job_state")) return *e;
    return m_inner.job_state(job);
  }
  storage::StoreResult<void> set_paused(const std::string& job, bool paused,
                                        const std::string& note, const std::string& who,
                                        SysMillis now) override {
    if (auto e = refused("set_paused")) return *e;
    return m_inner.set_paused(job, paused, note, who, now);
  }
  storage::StoreResult<void> set_horizon(const std::string& job,
                                         std::chrono::sys_seconds horizon) override {
    if (auto e = refused("set_horizon")) return *e;
    return m_inner.set_horizon(job, horizon);
  }
  storage::StoreResult<std::int64_t> enqueue_command(const storage::Command& c) override {
    if (auto e = refused("enqueue_command")) return *e;
    return m_inner.enqueue_command(c);
  }
  storage::StoreResult<std::vector<storage::Command>> take_commands(SysMillis now) override {
    if (auto e = refused("take_commands")) return *e;
    return m_inner.take_commands(now);
  }
  storage::StoreResult<void> write_heartbeat(const storage::Heartbeat& hb) override {
    if (auto e = refused("write_heartbeat")) return *e;
    return m_inner.write_heartbeat(hb);
  }
  storage::StoreResult<std::optional<storage::Heartbeat>> read_heartbeat() override {
    if (auto e = refused("read_heartbeat")) return *e;
    return m_inner.read_heartbeat();
  }
  storage::StoreResult<std::int64_t> prune(SysMillis before, int batch) override {
    if (auto e = refused("prune")) return *e;
    return m_inner.prune(before, batch);
  }
  storage::StoreResult<storage::StoreTotals> totals() override {
    if (auto e = refused("totals")) return *e;
    return m_inner.totals();
  }
  storage::StoreResult<void> record_alert(const storage::NewAlert& a) override {
    if (auto e = refused("record_alert")) return *e;
    return m_inner.record_alert(a);
  }
  storage::StoreResult<std::vector<storage::AlertDelivery>> due_alerts(SysMillis now,
                                                                       int limit) override {
    if (auto e = refused("due_alerts")) return *e;
    return m_inner.due_alerts(now, limit);
  }
  storage::StoreResult<std::optional<SysMillis>> next_alert_at() override {
    if (auto e = refused("next_alert_at")) return *e;
    return m_inner.next_alert_at();
  }
  storage::StoreResult<void> settle_alerts(const std::vector<std::int64_t>& ids,
                                           const storage::AlertOutcome& o) override {
    if (auto e = refused("settle_alerts")) return *e;
    return m_inner.settle_alerts(ids, o);
  }
  storage::StoreResult<std::optional<SysMillis>> last_alert_sent(
      const std::string& sink, const std::string& job, storage::AlertKind kind) override {
    if (auto e = refused("last_alert_sent")) return *e;
    return m_inner.last_alert_sent(sink, job, kind);
  }
  storage::StoreResult<std::int64_t> failure_streak(
      const std::string& job, std::optional<std::chrono::sys_seconds> before) override {
    if (auto e = refused("failure_streak")) return *e;
    return m_inner.failure_streak(job, before);
  }

  std::function<std::optional<storage::StoreError>(std::string_view call)> refuse;
  // Asked after each outermost transaction that committed: an error makes the caller hear
  // that it failed (a connection lost after COMMIT was sent: its fate unknown to the caller).
  std::function<std::optional<storage::StoreError>()> lose_answer;

 protected:
  std::optional<storage::StoreError> refused(std::string_view call) const {
    return refuse ? refuse(call) : std::nullopt;
  }
  storage::RunStore& m_inner;
  int m_depth = 0;  // in_transaction calls open (nested ones are savepoints)
};

}  // namespace bsched::test
