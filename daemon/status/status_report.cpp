#include "daemon/status/status_report.h"

#include "daemon/status/status_json.h"

namespace bsched::status {

namespace {

// A stand-in for a job that the status shows without its configuration.
const config::Job* stand_in(Removed& removed, const std::string& name) {
  auto& job = removed.emplace_back();
  job.name = name;
  auto& settings = job.edit_settings();
  settings.timezone = "UTC";
  settings.zone = utc_zone();
  return &job;
}

storage::StoreResult<storage::JobSummary> summary_of(storage::StateStore* store,
                                                     const std::string& job) {
  if (!store) return storage::JobSummary{};  // never started: nothing recorded yet
  return store->job_summary(job);
}

}  // namespace

storage::StoreResult<std::vector<JobStatus>> collect_jobs(const config::Config* config,
                                                          storage::StateStore* store,
                                                          SysMillis now, Removed& removed) {
  std::vector<JobStatus> jobs;
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  if (config) {
    for (const auto& job : config->jobs) {
      BSCHED_TRY_ASSIGN(summary, summary_of(store, job.name));
      jobs.push_back(JobStatus{&job, false, std::move(summary), job.next_after(now_s)});
    }
  }
  if (!store) return jobs;
  // Without a configuration, every job the database knows; else those still in flight.
  BSCHED_TRY_ASSIGN(names, config ? store->in_flight_jobs() : store->known_jobs());
  for (const auto& name : names) {
    if (config && config->find_job(name)) continue;
    BSCHED_TRY_ASSIGN(summary, summary_of(store, name));
    jobs.push_back(JobStatus{stand_in(removed, name), true, std::move(summary), std::nullopt,
                             !config});
  }
  return jobs;
}

storage::StoreResult<DaemonState> read_daemon(storage::StateStore* store,
                                              const std::string& db_path, SysMillis now) {
  if (!store) {
    DaemonState d;
    d.never_started = true;
    d.db_path = db_path;
    return d;
  }
  BSCHED_TRY_ASSIGN(heartbeat, store->read_heartbeat());
  BSCHED_TRY_ASSIGN(notes, store->read_daemon_notes());
  BSCHED_TRY_ASSIGN(nodes, store->nodes());
  auto d = nodes.empty() ? daemon_state(heartbeat, now)
                         : daemon_state(heartbeat, now, [](int) { return true; });
  if (!nodes.empty()) d.silent = false;  // a stale heartbeat: no node leads and writes
  apply_notes(d, notes);
  d.nodes = std::move(nodes);
  return d;
}

storage::StoreResult<boost::json::object> status_document(const config::Config* config,
                                                          storage::StateStore* store,
                                                          const StatusContext& view,
                                                          SysMillis now) {
  BSCHED_TRY_ASSIGN(daemon, read_daemon(store, view.db_path, now));
  Removed removed;
  BSCHED_TRY_ASSIGN(jobs, collect_jobs(config, store, now, removed));
  return status_json(daemon, view, jobs, now);
}

}  // namespace bsched::status
