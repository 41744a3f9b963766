// The loader's use of the schedule engine: parsing a job's schedule texts (errors mapped to
// file columns) and the job's next slot.
#include "config/loader_jobs.h"

#include <fmt/format.h>

namespace bsched::config {

std::optional<std::chrono::sys_seconds> Job::next_after(std::chrono::sys_seconds t) const {
  std::optional<std::chrono::sys_seconds> best;
  for (const auto& s : schedules) {
    auto next = s.next_after(t);
    if (next && (!best || *next < *best)) best = next;
  }
  return best;
}

namespace detail {

void parse_schedules(JobDraft& draft, const std::string& name, Sink& sink,
                     ScheduleCache& schedules) {
  draft.job.schedules.clear();
  for (const auto& f : draft.schedules) {
    if (!f.node.is_scalar()) continue;  // reported by the reader
    auto text = f.node.scalar();
    auto parsed = schedules.parse(text, name, draft.settings.zone, draft.settings.dst_fold);
    if (!parsed) {
      // The engine's column is 1-based inside the text; pos_at takes a 0-based offset and
      // adds one for an opening quote.
      sink.error(f.pos_at(parsed.error().column - 1),
                 fmt::format("{}: {}", f.path, parsed.error().message()));
      continue;
    }
    for (const auto& w : parsed->warnings()) sink.warning(f.pos(), fmt::format("{}: {}", f.path, w));
    draft.job.schedules.push_back(std::move(*parsed));
  }
}

}  // namespace detail

}  // namespace bsched::config
