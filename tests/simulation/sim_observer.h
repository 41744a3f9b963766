// What the simulation watches while it runs: the store's writes (every run created, every
// state change, checked against is_legal_transition) and a bounded list of events for the
// failure message.
#pragma once

#include "storage/run_state.h"
#include "tests/core/forwarding_store.h"

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bsched::simulation {

// The last `cap` events, each numbered.
class EventLog {
 public:
  explicit EventLog(std::size_t cap) : m_cap(cap) {}
  void add(std::string event) {
    ++m_count;
    m_events.push_back(std::to_string(m_count) + " " + std::move(event));
    if (m_events.size() > m_cap) m_events.pop_front();
  }
  std::vector<std::string> events() const { return {m_events.begin(), m_events.end()}; }

 private:
  std::size_t m_cap;
  std::size_t m_count = 0;
  std::deque<std::string> m_events;
};

// A run as created (committed) in the store.
struct CreatedRun {
  std::string job;
  storage::Trigger trigger = storage::Trigger::schedule;
  std::chrono::sys_seconds slot{};
};

// Forwards to the real store; records the runs created and refuses nothing itself, but
// reports every state change that is_legal_transition() does not allow (or the store
// refused) through `on_violation`.
class ObservingStore final : public test::ForwardingStore {
 public:
  // `on_tied(run id, execution id, matched_by)`: a stored write tied a run to a record.
  using OnTied = std::function<void(const std::string&, const std::string&, const std::string&)>;
  ObservingStore(storage::RunStore& inner, std::function<void(std::string)> on_violation,
                 std::function<void(std::string)> log, OnTied on_tied)
      : ForwardingStore(inner), m_inner(inner), m_violation(std::move(on_violation)),
        m_log(std::move(log)), m_tied(std::move(on_tied)) {}

  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    auto r = m_inner.create_run(run, now);
    if (r) {
      created[run.run_id] = CreatedRun{run.job, run.trigger, run.slot};
      m_log("store: created " + run.run_id + " " + run.job + " " + format_utc(run.slot) + " " +
            std::string(storage::to_string(r->state)));
    }
    return r;
  }

  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& update) override {
    auto before = m_inner.find_run(id);
    auto r = m_inner.transition(id, to, now, update);
    if (!before || !*before) return r;
    const auto from = (*before)->state;
    const std::string what = (*before)->run_id + " " + std::string(storage::to_string(from)) +
                             " -> " + std::string(storage::to_string(to));
    if (from != to && !storage::is_legal_transition(from, to)) {
      m_violation("illegal state change " + what + (r ? " (stored)" : " (refused by the store)"));
    }
    if (r) m_log("store: " + what);
    if (r) note_tie(**before, update);
    return r;
  }

  storage::StoreResult<void> update(std::int64_t id, const storage::RunUpdate& u) override {
    std::optional<storage::RunRow> before;
    if (u.execution_id) {
      if (auto found = m_inner.find_run(id); found && *found) before = **found;
    }
    auto r = m_inner.update(id, u);
    if (r && before) note_tie(*before, u);
    return r;
  }

  storage::StoreResult<void> record_gap(const storage::SlotGap& g) override {
    auto r = m_inner.record_gap(g);
    if (r) {
      m_log("store: gap " + g.job + " " + format_utc(g.first) + ".." + format_utc(g.last) + " " +
            std::string(storage::to_string(g.kind)) + " (" + g.reason + ")");
    }
    return r;
  }

  std::map<std::string, CreatedRun> created;  // run id -> the run as created

 private:
  storage::RunStore& m_inner;
  std::function<void(std::string)> m_violation;
  std::function<void(std::string)> m_log;
  OnTied m_tied;

  void note_tie(const storage::RunRow& row, const storage::RunUpdate& u) {
    if (!u.execution_id || u.execution_id->empty() || *u.execution_id == row.execution_id) return;
    m_tied(row.run_id, *u.execution_id, u.matched_by.value_or(row.matched_by));
  }
};

}  // namespace bsched::simulation
