// The jobs.d file `boomi-sched import` writes (docs/import.md), built from the platform's
// schedules as a pure function: one job per process with at least one converted rule, the
// original rule as a comment above each schedule, unconverted rules and Retry blocks
// commented out with the reason, processes already configured here left out.
#pragma once

#include "daemon/platform/schedule_convert.h"
#include "daemon/platform/schedule_model.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bsched::cli {

// What the written file holds for one platform object.
struct ImportedJob {
  std::string job;  // the job name chosen (empty when no job was written)
  platform::ProcessSchedules schedules;
  platform::ConvertedProcess converted;
  std::optional<bool> platform_enabled;  // the status's `enabled`, when the status was found
  std::string status_id;                 // that ProcessScheduleStatus's id
  std::string skipped;  // why no job was written ("already configured as job X", …)
  // A job was written and every rule converted, without a Retry block: the only kind
  // --disable-on-platform switches off.
  bool complete() const { return !job.empty() && converted.complete(); }
};

struct ImportInput {
  std::vector<platform::ProcessSchedules> schedules;  // as queried (empty ones included)
  // The status of each process, by process id (one runtime).
  std::map<std::string, platform::ScheduleStatus> statuses;
  // Jobs of the existing configuration: by "processId atomId", their names; and every name.
  std::map<std::string, std::string> configured;
  std::set<std::string> names;
  std::string atom_id;
  std::string zone;     // IANA name, validated by the caller
  std::string created;  // instant for the header, "YYYY-MM-DDTHH:MM:SSZ"
};

struct ImportOutput {
  std::string yaml;
  std::vector<ImportedJob> jobs;      // one per non-empty platform object, in query order
  std::vector<std::string> warnings;  // everything not converted or left out, one line each
  std::size_t empty = 0;              // objects without rules (nothing to import)
  bool everything_converted() const { return warnings.empty(); }
};

ImportOutput build_import(const ImportInput& input);

// A job name from a process name (or id): [A-Za-z0-9._-], at most 64 characters, not one
// of `taken`.
std::string job_name_for(const platform::ProcessSchedules& s, const std::set<std::string>& taken);

// Ids written into YAML and URLs must be plain: [A-Za-z0-9._:-], 1-256 characters.
bool plain_id(std::string_view id);

}  // namespace bsched::cli
