// The pair mode's database side (docs/testing.md, "Deterministic simulation"): the leader
// lease row as storage/pg/pg_lease.cpp's claim statement keeps it, and a store wrapper per
// node that refuses the writes that let a request leave exactly as pg_run_store.cpp's
// check_fence does. Both on the simulation's steady time, which stands for the database's
// clock (one clock: no rate differences between the nodes and the database).
#pragma once

#include "daemon/ha/lease.h"
#include "tests/core/forwarding_store.h"
#include "tests/support/fake_clock.h"

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>

namespace bsched::simulation {

using SteadyTime = std::chrono::steady_clock::time_point;

// The leader_lease row. Empty holder: no row yet.
struct SimLease {
  std::string holder;
  std::int64_t epoch = 0;
  SteadyTime expires_at{};

  // k_claim_sql at `now`: held when the holder is `node` or the lease expired; the epoch rises
  // when the holder changes or the lease had expired; expires_at = now + lease.
  ha::ClaimAnswer claim(const std::string& node, SteadyTime now, Millis lease) {
    const bool first = holder.empty();
    if (first || holder == node || expires_at < now) {
      const bool same = !first && holder == node && expires_at >= now;
      epoch = first ? 1 : same ? epoch : epoch + 1;
      holder = node;
      expires_at = now + lease;
      return {true, epoch, holder, lease};
    }
    return {false, epoch, holder, std::chrono::duration_cast<Millis>(expires_at - now)};
  }

  // check_fence: the row names `node` and `epoch` and expires later than now + margin.
  bool admits(const std::string& node, std::int64_t e, SteadyTime now, Millis margin) const {
    return holder == node && epoch == e && expires_at > now + margin;
  }
};

// One node's view of the shared store: forwards everything; a write that lets a request
// leave (a transition to `submitting`, a create_run with `submitting`, an update with
// `maybe_accepted`) fails with StoreErrorKind::io and changes nothing unless
// the lease admits this node under the fence's epoch (set per term, as make_pair_scheduler
// sets the PostgreSQL store's send fence).
class FencingStore final : public test::ForwardingStore {
 public:
  FencingStore(storage::RunStore& inner, const SimLease& lease, const test::FakeClock& clock,
               std::string node, Millis margin, std::function<void(std::string)> on_refused)
      : ForwardingStore(inner),
        m_lease(lease),
        m_clock(clock),
        m_node(std::move(node)),
        m_margin(margin),
        m_refused(std::move(on_refused)) {}

  void set_fence(std::int64_t epoch) { m_epoch = epoch; }

  storage::StoreResult<storage::RunRow> create_run(const storage::NewRun& run,
                                                   SysMillis now) override {
    if (auto no = run.submitting ? fence("create_run " + run.run_id) : std::nullopt)
      return std::move(*no);
    return m_inner.create_run(run, now);
  }
  storage::StoreResult<storage::RunRow> transition(std::int64_t id, storage::RunState to,
                                                   SysMillis now,
                                                   const storage::RunUpdate& u) override {
    const bool sends = to == storage::RunState::submitting || u.maybe_accepted.value_or(false);
    if (auto no = sends ? fence(fmt::format("transition of run #{}", id)) : std::nullopt)
      return std::move(*no);
    return m_inner.transition(id, to, now, u);
  }
  storage::StoreResult<void> update(std::int64_t id, const storage::RunUpdate& u) override {
    if (auto no = u.maybe_accepted.value_or(false) ? fence(fmt::format("update of run #{}", id))
                                                   : std::nullopt)
      return std::move(*no);
    return m_inner.update(id, u);
  }

 private:
  // Empty: the write may go; otherwise check_fence's refusal.
  std::optional<storage::StoreError> fence(const std::string& what) {
    if (!m_epoch || m_lease.admits(m_node, *m_epoch, m_clock.steady_now(), m_margin))
      return std::nullopt;
    auto message = fmt::format(
        "node {} does not hold the leader lease under epoch {} with {} ms "
        "left: the request is not sent",
        m_node, *m_epoch, m_margin.count());
    m_refused(fmt::format("{}: fenced {}", m_node, what));
    return storage::StoreError{storage::StoreErrorKind::io, message};
  }
  const SimLease& m_lease;
  const test::FakeClock& m_clock;
  std::string m_node;
  Millis m_margin;
  std::function<void(std::string)> m_refused;
  std::optional<std::int64_t> m_epoch;  // the term's epoch; none before the first term
};

}  // namespace bsched::simulation
