// Pure decisions about a job's due slots (product.md §4 "Catch-up"): which slots in
// (horizon, now] fire, with which trigger, and which become missed. No I/O, no clock: the
// engine passes "now" in and writes the plan to the store.
#pragma once

#include "config/config.h"
#include "base/time_util.h"
#include "daemon/core/slot_source.h"
#include "storage/run_store.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::core {

using namespace std::chrono_literals;

// A slot at most this late still fires as an on-time `schedule` slot; later slots are
// catch-up candidates (fire as `catchup` or are missed, per the job's catch-up policy).
inline constexpr Millis k_on_time_grace = 5s;

// Reasons recorded with missed slots (the ledger's `reason`).
inline constexpr std::string_view k_reason_daemon_down = "daemon down";
inline constexpr std::string_view k_reason_clock_step = "clock step";
inline constexpr std::string_view k_reason_late = "fired late";
inline constexpr std::string_view k_reason_paused = "paused";
inline constexpr std::string_view k_reason_store = "state database unavailable";

// Why the engine looks at a job's due slots.
enum class SlotPass {
  on_time,   // the fire loop woke for the next slot: due slots are the ones just reached
  catch_up,  // the slots piled up unseen (daemon down, clock step, store outage): under
             // `latest` and `none` they collapse to the newest, whatever their age
};

struct DueSlot {
  sys_seconds slot{};
  storage::Trigger trigger = storage::Trigger::schedule;
};

struct CatchupPolicy {
  config::Catchup mode = config::Catchup::latest;
  Millis window = 1h;  // a late slot may still fire if it is at most this old
};

struct SlotPlan {
  std::vector<DueSlot> fire;             // slots to fire, increasing
  std::vector<storage::SlotGap> gaps;    // missed ranges, increasing, one row per range
  std::optional<sys_seconds> last_slot;  // the newest slot looked at (the new horizon)
  std::int64_t missed_count = 0;         // slots in all gaps together
};

// Every slot of `slots` in (horizon, now]. On time pass: on-time slots (late by less than
// k_on_time_grace) fire as `schedule`; late slots within policy.window fire as `catchup` per
// the mode (latest: only the newest, and none when an on-time slot exists; all: each; none:
// none). Catch-up pass: under `all` the same; under `latest` only the newest slot fires (as
// `schedule` when on time, else as `catchup` within the window) and under `none` only the
// newest on-time one: one run for the slots that piled up, however young. Every other slot
// is missed with `late_reason`. Consecutive missed slots form one gap.
SlotPlan plan_due_slots(const SlotSource& slots, std::string_view job, const CatchupPolicy& policy,
                        sys_seconds horizon, SysMillis now, std::string_view late_reason,
                        SlotPass pass = SlotPass::on_time);

// The slots in (horizon, now] of a paused job: all missed, those after `paused_at` with the
// reason "paused", those before it (passed unseen while the daemon was down, before the
// pause was written) with `late_reason`. At most one gap per reason.
SlotPlan plan_paused(const SlotSource& slots, std::string_view job, sys_seconds horizon,
                     SysMillis now, std::optional<SysMillis> paused_at,
                     std::string_view late_reason);

// The catch-up policy of a job.
CatchupPolicy catchup_policy(const config::Job& job);

}  // namespace bsched::core
