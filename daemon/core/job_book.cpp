#include "daemon/core/job_book.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace bsched::core {

void JobBook::replace(std::shared_ptr<const config::Config> config, std::vector<JobRuntime> jobs) {
  m_due.clear();  // points into the old table
  std::sort(jobs.begin(), jobs.end(),
            [](const JobRuntime& a, const JobRuntime& b) { return a.job->name < b.job->name; });
  m_jobs = std::move(jobs);
  m_config = std::move(config);
  m_active = 0;
  for (auto& jr : m_jobs) {
    jr.next_due.reset();
    m_active += jr.active ? 1 : 0;
    reschedule(jr);
  }
}

const JobRuntime* JobBook::find(std::string_view name) const {
  auto it =
      std::lower_bound(m_jobs.begin(), m_jobs.end(), name,
                       [](const JobRuntime& jr, std::string_view n) { return jr.job->name < n; });
  return it != m_jobs.end() && it->job->name == name ? &*it : nullptr;
}

JobRuntime* JobBook::find(std::string_view name) {
  return const_cast<JobRuntime*>(std::as_const(*this).find(name));
}

JobRuntime& JobBook::at(std::string_view name) {
  if (auto* jr = find(name)) return *jr;
  throw std::out_of_range("no job " + std::string(name));
}

void JobBook::reschedule(JobRuntime& jr) {
  if (jr.next_due) m_due.remove(*jr.next_due, jr.job->name);
  jr.next_due.reset();
  if (!jr.active) return;
  jr.next_due = jr.slots->next_after(jr.horizon);
  if (jr.next_due) m_due.add(*jr.next_due, jr.job->name, &jr);
}

}  // namespace bsched::core
