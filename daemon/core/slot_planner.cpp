// Classifies due slots into fire / missed; see slot_planner.h for the rules.
#include "daemon/core/slot_planner.h"

namespace bsched::core {

namespace {

using storage::Trigger;

// Accumulates missed slots into ranges; a fired slot closes the open range.
class GapBuilder {
 public:
  GapBuilder(SlotPlan& plan, std::string_view job, std::string_view reason, SysMillis now)
      : m_plan(plan), m_job(job), m_reason(reason), m_now(now) {}

  // A slot missed for another reason than the open range's starts a new range.
  void add(sys_seconds slot, std::string_view reason) {
    if (reason != m_reason) {
      close();
      m_reason = reason;
    }
    add(slot);
  }

  void add(sys_seconds slot) {
    ++m_plan.missed_count;
    if (m_open) {
      m_gap.last = slot;
      ++m_gap.count;
      return;
    }
    m_gap = storage::SlotGap{};
    m_gap.job = std::string(m_job);
    m_gap.kind = storage::RunState::missed;
    m_gap.first = m_gap.last = slot;
    m_gap.count = 1;
    m_gap.reason = std::string(m_reason);
    m_gap.recorded_at = m_now;
    m_open = true;
  }

  void close() {
    if (!m_open) return;
    m_plan.gaps.push_back(m_gap);
    m_open = false;
  }

 private:
  SlotPlan& m_plan;
  std::string_view m_job;
  std::string_view m_reason;
  SysMillis m_now;
  storage::SlotGap m_gap;
  bool m_open = false;
};

// [horizon + 1s, floor(now) + 1s): the slots in (horizon, now].
std::pair<sys_seconds, sys_seconds> due_range(sys_seconds horizon, SysMillis now) {
  auto to = std::chrono::floor<std::chrono::seconds>(now) + std::chrono::seconds(1);
  return {horizon + std::chrono::seconds(1), to};
}

}  // namespace

SlotPlan plan_due_slots(const SlotSource& slots, std::string_view job, const CatchupPolicy& policy,
                        sys_seconds horizon, SysMillis now, std::string_view late_reason,
                        SlotPass pass) {
  SlotPlan plan;
  GapBuilder gaps(plan, job, late_reason, now);
  auto [from, to] = due_range(horizon, now);
  if (from >= to) return plan;
  bool collapse = pass == SlotPass::catch_up && policy.mode != config::Catchup::all;
  // The newest slot seen so far that may still fire, if no later one takes its place:
  // under `latest` a late slot (and, collapsing, an on-time one), under `none` collapsing
  // an on-time one.
  std::optional<DueSlot> candidate;
  auto replace_candidate = [&](std::optional<DueSlot> next) {
    if (candidate) gaps.add(candidate->slot);
    candidate = next;
  };
  slots.for_each_in(from, to, [&](sys_seconds slot) {
    plan.last_slot = slot;
    auto age = now - SysMillis(slot);
    bool in_window = age <= policy.window;
    if (age < k_on_time_grace) {
      if (collapse) {
        replace_candidate(DueSlot{slot, Trigger::schedule});
        return true;
      }
      replace_candidate(std::nullopt);
      gaps.close();
      plan.fire.push_back({slot, Trigger::schedule});
    } else if (!in_window || policy.mode == config::Catchup::none) {
      replace_candidate(std::nullopt);
      gaps.add(slot);
    } else if (policy.mode == config::Catchup::all) {
      gaps.close();
      plan.fire.push_back({slot, Trigger::catchup});
    } else {
      replace_candidate(DueSlot{slot, Trigger::catchup});
    }
    return true;
  });
  if (candidate) {
    gaps.close();
    plan.fire.push_back(*candidate);
  }
  gaps.close();
  return plan;
}

SlotPlan plan_paused(const SlotSource& slots, std::string_view job, sys_seconds horizon,
                     SysMillis now, std::optional<SysMillis> paused_at,
                     std::string_view late_reason) {
  SlotPlan plan;
  GapBuilder gaps(plan, job, k_reason_paused, now);
  auto [from, to] = due_range(horizon, now);
  if (from >= to) return plan;
  slots.for_each_in(from, to, [&](sys_seconds slot) {
    plan.last_slot = slot;
    bool before_pause = paused_at && SysMillis(slot) < *paused_at;
    gaps.add(slot, before_pause ? late_reason : k_reason_paused);
    return true;
  });
  gaps.close();
  return plan;
}

CatchupPolicy catchup_policy(const config::Job& job) {
  return CatchupPolicy{job.settings->catchup, job.settings->catchup_window};
}

}  // namespace bsched::core
