// Merging a job's schedules into one slot sequence.
#include "daemon/core/job_slots.h"

namespace bsched::core {

void JobSlots::for_each_in(sys_seconds from, sys_seconds to,
                           const std::function<bool(sys_seconds)>& fn) const {
  if (m_schedules.size() == 1) {
    m_schedules.front().for_each_in(from, to, fn);
    return;
  }
  // Several schedules: step through the merged sequence with next_after, so equal instants
  // of two schedules are one slot.
  for (auto t = next_after(from - std::chrono::seconds(1)); t && *t < to; t = next_after(*t)) {
    if (!fn(*t)) return;
  }
}

std::optional<sys_seconds> JobSlots::next_after(sys_seconds t) const {
  std::optional<sys_seconds> best;
  for (const auto& s : m_schedules) {
    auto n = s.next_after(t);
    if (n && (!best || *n < *best)) best = n;
  }
  return best;
}

}  // namespace bsched::core
