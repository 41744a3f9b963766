// The configured jobs as the engine runs them: the configuration in force, one JobRuntime per
// job sorted by name, and the due queue of the enabled ones by next slot. It owns them; the
// engine's fire loop asks it what is due and tells it when a job's horizon moved.
#pragma once

#include "config/config.h"
#include "daemon/core/due_queue.h"
#include "daemon/core/slot_source.h"

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace bsched::core {

// One configured job as the engine runs it.
struct JobRuntime {
  const config::Job* job = nullptr;  // in the JobBook's configuration
  std::unique_ptr<SlotSource> slots;
  bool active = false;  // enabled: fires new slots
  bool paused = false;
  std::optional<SysMillis> paused_at;       // when the pause was written (paused only)
  sys_seconds horizon{};                    // every slot at or before it was handled
  std::optional<sys_seconds> next_due;      // set while queued: its instant in the due queue
  std::optional<sys_seconds> last_success;  // for ${last_success_time}
};

class JobBook {
 public:
  // Takes `config` and its jobs' runtimes (any order; each `job` points into `config`) in
  // place of the previous ones, whose entries are invalid from then on, and queues every
  // enabled job at its next slot after its horizon.
  void replace(std::shared_ptr<const config::Config> config, std::vector<JobRuntime> jobs);

  const std::shared_ptr<const config::Config>& config() const { return m_config; }
  JobRuntime* find(std::string_view name);
  const JobRuntime* find(std::string_view name) const;
  JobRuntime& at(std::string_view name);  // throws std::out_of_range for an unknown name
  auto begin() { return m_jobs.begin(); }
  auto end() { return m_jobs.end(); }
  auto begin() const { return m_jobs.begin(); }
  auto end() const { return m_jobs.end(); }
  int active() const { return m_active; }  // enabled jobs (asked for often, even mid-burst)

  // Queues the job again at its next slot after its horizon (none when it is disabled).
  void reschedule(JobRuntime& jr);
  std::optional<sys_seconds> earliest_due() const { return m_due.earliest(); }
  // Calls fn(at, job) for the queued jobs, earliest slot (then name) first, while it returns true.
  template <class Fn>
  void each_due(Fn&& fn) const {
    m_due.each(std::forward<Fn>(fn));
  }

 private:
  std::shared_ptr<const config::Config> m_config;
  std::vector<JobRuntime> m_jobs;  // by name: a lookup is a binary search; entries never move
  int m_active = 0;
  DueQueue<JobRuntime> m_due;  // points into m_jobs
};

}  // namespace bsched::core
