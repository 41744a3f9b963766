// Where the slot planner gets a job's slots from. The real source is JobSlots
// (daemon/core/job_slots.h: every schedule of a job, merged); tests use a scripted source,
// so the planner's decisions are tested without the cron engine.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

namespace bsched::core {

using std::chrono::sys_seconds;

class SlotSource {
 public:
  virtual ~SlotSource() = default;
  // Calls `fn` for every slot in [from, to), increasing, until it returns false.
  virtual void for_each_in(sys_seconds from, sys_seconds to,
                           const std::function<bool(sys_seconds)>& fn) const = 0;
  // The first slot strictly after `t`.
  virtual std::optional<sys_seconds> next_after(sys_seconds t) const = 0;
};

}  // namespace bsched::core
