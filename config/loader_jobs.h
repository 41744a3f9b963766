// Reading job settings (internal to config/). A `defaults` map and each job map are applied
// in turn onto a JobDraft; finish_job then checks the merged result and parses the
// schedules in the job's final zone.
#pragma once

#include "config/config.h"
#include "config/loader_yaml.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bsched::config::detail {

struct JobDraft {
  Job job;                                           // identity, and `enabled`
  JobSettings settings;                              // built-in defaults, then overrides
  std::vector<Field> schedules;                      // unparsed schedule texts, with positions
  std::map<std::string, Field, std::less<>> set_at;  // where each key was last set
  bool zone_bad = false;                             // timezone was set but unknown (reported)
};

// One shared copy of each distinct JobSettings, for the duration of a load. Distinct settings
// still share their texts (atom ids, zones, run-id property names).
class SettingsPool {
 public:
  // The pooled settings equal to `settings`; a new pooled copy the first time.
  std::shared_ptr<const JobSettings> intern(JobSettings&& settings);

 private:
  struct ByValue {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return value(a) < value(b);
    }
    static const JobSettings& value(const JobSettings& s) { return s; }
    static const JobSettings& value(const std::shared_ptr<const JobSettings>& s) { return *s; }
  };
  std::set<std::shared_ptr<const JobSettings>, ByValue> m_settings;
};

// Every key a job (and `defaults`) accepts, in documentation order.
const std::vector<std::string_view>& job_keys();

// Applies the keys of `map` (a `defaults` or job map) onto `draft`, reporting problems.
void apply_job_keys(const Field& map, JobDraft& draft, Sink& sink);

// Parses the draft's schedule texts in its final zone and fold into draft.job.schedules;
// errors at the column inside the expression, the engine's remarks as warnings.
void parse_schedules(JobDraft& draft, const std::string& name, Sink& sink,
                     ScheduleCache& schedules);

// Checks the merged draft of job `name` (whose key is at `pos`, path `path`) and parses its
// schedules; its settings come from `settings`. The result is meaningful only when the sink
// holds no errors.
Job finish_job(JobDraft draft, const std::string& name, const Field& key, Sink& sink,
               ScheduleCache& schedules, SettingsPool& settings);

}  // namespace bsched::config::detail
