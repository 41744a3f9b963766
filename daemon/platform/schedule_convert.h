// Turning the platform's schedule rules into boomi-sched schedule expressions (issue 28,
// docs/import.md). Pure functions.
//
// A rule converts to one 5-field expression `min hour dom month dow`:
// - lists, ranges and steps keep their form; day-of-week shifts from the platform's 1 = Sunday
//   ... 7 = Saturday to cron's 0 = Sunday ... 6 = Saturday; JAN-DEC and SUN-SAT are read as
//   names; a field that selects every value becomes `*`; `?` in a day field means `*`;
// - an absent or empty field reads as `*` and says so in `notes`.
// A rule that has no faithful equivalent is not converted; `problem` says why:
// - `years` other than `*` (boomi-sched schedules have no year field);
// - day-of-month and day-of-week both restricted (the platform does not document whether a
//   day must match both or either; cron would take either);
// - a form the platform syntax does not define (L, W, #, H, reversed ranges, out-of-range
//   values), or an expression that never fires (31 in February only).
// A Retry block never converts (boomi-sched does not re-run failed runs on a schedule).
#pragma once

#include "daemon/platform/schedule_model.h"

#include <string>
#include <vector>

namespace bsched::platform {

struct ConvertedRule {
  std::string expression;          // "0-59/15 8-17 * * 1-5"; empty when not converted
  std::vector<std::string> notes;  // remarks that did not stop the conversion
  std::string problem;             // why the rule has no equivalent; empty when converted
  bool ok() const { return problem.empty(); }
};

ConvertedRule convert_rule(const ScheduleRule& rule);

// The rule as the platform wrote it, for comments and warnings:
// "minutes=0-59/15 hours=8-17 daysOfWeek=2-6 daysOfMonth=* months=* years=*"
// (absent fields are left out; the text is escaped: control characters never pass).
std::string describe_rule(const ScheduleRule& rule);

struct ConvertedProcess {
  std::vector<ConvertedRule> rules;  // one per platform rule, in order
  std::string retry_problem;         // non-empty when the object has a Retry block
  // Every rule converted and no Retry block.
  bool complete() const;
  // At least one rule converted.
  bool any() const;
};

ConvertedProcess convert_process(const ProcessSchedules& schedules);

}  // namespace bsched::platform
