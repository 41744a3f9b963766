// The platform's own schedules (platform-api.md "Process schedules"), as plain values:
// ProcessSchedules (the rules) and ProcessScheduleStatus (the on/off switch).
// Fields are kept as the platform wrote them; schedule_convert.h turns rules into ours.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bsched::platform {

// One entry of a ProcessSchedules `Schedule` list. Each field uses the platform's
// "Advanced (cron)" syntax: `*`, values, ranges, lists, `a-b/step`. nullopt: the key was
// absent (or not a string).
struct ScheduleRule {
  std::optional<std::string> minutes;        // 0-59
  std::optional<std::string> hours;          // 0-23
  std::optional<std::string> days_of_week;   // 1 = Sunday ... 7 = Saturday
  std::optional<std::string> days_of_month;  // 1-31
  std::optional<std::string> months;         // 1-12
  std::optional<std::string> years;
};

// The `Retry` block: re-runs of failed scheduled runs, which boomi-sched has no equivalent of.
struct ScheduleRetry {
  std::optional<std::int64_t> max_retry;  // 1..5 on the platform
  std::vector<ScheduleRule> rules;
};

// One ProcessSchedules object: every rule of one process on one runtime.
struct ProcessSchedules {
  std::string id;
  std::string atom_id;
  std::string process_id;
  std::string process_name;  // only when the answer carries one (the API documents none)
  std::vector<ScheduleRule> rules;
  std::optional<ScheduleRetry> retry;
};

// One ProcessScheduleStatus object: whether the platform fires that process's schedules.
struct ScheduleStatus {
  std::string id;
  std::string atom_id;
  std::string process_id;
  bool enabled = false;
};

}  // namespace bsched::platform
