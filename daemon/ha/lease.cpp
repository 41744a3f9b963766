// The leader lease's decisions (see lease.h).
#include "daemon/ha/lease.h"

#include <fmt/core.h>

#include <algorithm>

namespace bsched::ha {

Result<LeaseTimings> resolve_timings(LeaseTimings t) {
  if (t.lease < Millis(300))
    return make_error(fmt::format("ha.lease {} is too short: at least 300ms (15s is usual)",
                                  format_duration(t.lease)));
  if (t.renew_every <= Millis(0)) t.renew_every = t.lease / 3;
  if (t.margin <= Millis(0)) t.margin = t.lease / 3;
  if (t.retry_after <= Millis(0)) t.retry_after = std::min(t.renew_every, Millis(1000));
  if (t.statement_deadline <= Millis(0)) t.statement_deadline = t.lease / 6;
  if (t.margin >= t.lease)
    return make_error(fmt::format("the lease margin {} must be shorter than the lease {}",
                                  format_duration(t.margin), format_duration(t.lease)));
  if (t.renew_every + t.statement_deadline >= t.lease - t.margin)
    return make_error(fmt::format(
        "a renewal every {} (answering within {}) comes after the sending window of {} closes: "
        "renew more often or take a shorter margin",
        format_duration(t.renew_every), format_duration(t.statement_deadline),
        format_duration(t.lease - t.margin)));
  return t;
}

const char* role_name(Role r) {
  return r == Role::leader ? "leader" : "standby";
}

const char* lost_reason_name(LostReason r) {
  switch (r) {
    case LostReason::taken:
      return "taken";
    case LostReason::overdue:
      return "overdue";
    case LostReason::none:
      break;
  }
  return "none";
}

bool may_send(const LeaseState& s, const LeaseTimings& t, SteadyTime now) {
  return s.role == Role::leader && now - s.renewed_sent < t.lease - t.margin;
}

Transition on_claim(LeaseState& s, const ClaimAnswer& a, SteadyTime sent) {
  Transition out;
  auto before = s.epoch;
  bool was_leader = s.role == Role::leader;
  s.holder = a.holder;
  s.epoch = a.epoch;
  if (a.held) {
    s.role = Role::leader;
    s.renewed_sent = sent;
    if (!was_leader)
      out.change = LeaseChange::acquired;
    else if (a.epoch != before)
      out.change = LeaseChange::reacquired;
    out.epoch = a.epoch;
    out.old_epoch = before;
    return out;
  }
  s.role = Role::standby;
  if (was_leader) {
    out.change = LeaseChange::lost;
    out.reason = LostReason::taken;
    out.epoch = before;
  }
  return out;
}

Transition check_overdue(LeaseState& s, const LeaseTimings& t, SteadyTime now) {
  if (s.role != Role::leader || may_send(s, t, now)) return {};
  s.role = Role::standby;
  return {LeaseChange::lost, LostReason::overdue, s.epoch, s.epoch};
}

Transition on_resigned(LeaseState& s) {
  Transition out{LeaseChange::resigned, LostReason::none, s.epoch, s.epoch};
  s.role = Role::standby;
  s.holder.clear();
  return out;
}

SteadyTime next_claim_at(const LeaseState& s, const LeaseTimings& t, SteadyTime at,
                         const std::optional<ClaimAnswer>& last) {
  if (!last) return at + t.retry_after;
  if (s.role == Role::leader) return at + t.renew_every;
  auto wait = std::clamp(last->remaining + k_claim_after_expiry, Millis(0), t.renew_every);
  return at + wait;
}

}  // namespace bsched::ha
