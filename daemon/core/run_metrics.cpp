#include "daemon/core/run_metrics.h"

#include <algorithm>

namespace bsched::core {

using storage::RunState;

namespace {

double seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }
double epoch_seconds(sys_seconds t) { return static_cast<double>(t.time_since_epoch().count()); }

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

// Every schedule of the job, as written, joined by " | ".
std::string schedules_text(const config::Job& job) {
  std::string out;
  for (const auto& s : job.schedules) {
    if (!out.empty()) out += " | ";
    out += s.text();
  }
  return out;
}

}  // namespace

std::string reason_label(std::string_view reason) {
  auto colon = reason.find(':');
  auto label = trim(reason.substr(0, colon));
  return label.empty() ? std::string("unknown") : label;
}

RunMetrics::RunMetrics(metrics::Registry& r)
    : m_started(r.counter("boomi_sched_runs_started_total",
                          "Runs whose first ExecutionRequest was sent.", {"job", "trigger"})),
      m_finished(r.counter("boomi_sched_runs_finished_total", "Runs that reached a terminal state.",
                           {"job", "trigger", "state"})),
      m_missed(r.counter("boomi_sched_slots_missed_total",
                         "Slots that did not fire: kind missed or skipped, reason as recorded.",
                         {"job", "kind", "reason"})),
      m_lateness(r.histogram("boomi_sched_run_lateness_seconds",
                             "From a run's slot to its first ExecutionRequest leaving.", {},
                             metrics::lateness_buckets())),
      m_duration(r.histogram("boomi_sched_run_duration_seconds",
                             "From a run's first ExecutionRequest to its terminal state.",
                             {"job", "state"}, metrics::run_duration_buckets())),
      m_in_flight(r.gauge("boomi_sched_runs_in_flight", "Runs not yet terminal, by state.",
                          {"job", "state"})),
      m_next_fire(r.gauge("boomi_sched_next_fire_timestamp_seconds",
                          "The job's next slot (Unix time); absent while it is disabled.", {"job"})),
      m_last_run(r.gauge("boomi_sched_last_run_timestamp_seconds",
                         "The slot of the job's latest run that sent a request (Unix time).",
                         {"job"})),
      m_last_success(r.gauge("boomi_sched_last_success_timestamp_seconds",
                             "The slot of the job's latest successful run (Unix time).", {"job"})),
      m_missed_since_success(r.gauge("boomi_sched_missed_since_success",
                                     "Slots missed since the job's latest success (as status).",
                                     {"job"})),
      m_paused(r.gauge("boomi_sched_job_paused", "1 while the job is paused.", {"job"})),
      m_info(r.gauge("boomi_sched_job_info", "The job's configuration; the value is always 1.",
                     {"job", "schedule", "timezone", "atom_id", "process_id"})),
      m_auth_open(r.gauge("boomi_sched_auth_circuit_open",
                          "1 while the platform refuses the credentials (nothing is sent).")),
      m_store_healthy(r.gauge("boomi_sched_store_healthy",
                              "1 while the state database takes writes.")) {}

void RunMetrics::seed(const storage::StoreTotals& totals) {
  for (const auto& r : totals.runs) {
    auto trigger = std::string(storage::to_string(r.trigger));
    if (r.sent) {
      m_started.add({r.job, trigger}, static_cast<double>(r.count));
      auto& last = m_marks[r.job].last_run;
      last = std::max(last.value_or(r.last_slot), r.last_slot);
    }
    if (storage::is_terminal(r.state)) {
      m_finished.add({r.job, trigger, std::string(storage::to_string(r.state))},
                     static_cast<double>(r.count));
    }
  }
  for (const auto& g : totals.gaps) {
    m_missed.add({g.job, std::string(storage::to_string(g.kind)), reason_label(g.reason)},
                 static_cast<double>(g.count));
  }
  for (const auto& j : totals.jobs) m_marks[j.job].missed_since_success = j.missed_since_success;
}

void RunMetrics::started(const storage::RunRow& row, SysMillis sent) {
  m_started.add({row.job, std::string(storage::to_string(row.trigger))});
  m_lateness.observe({}, std::max(0.0, seconds(sent - SysMillis(row.slot))));
  auto& last = m_marks[row.job].last_run;
  last = std::max(last.value_or(row.slot), row.slot);
}

void RunMetrics::finished(const storage::RunRow& row) {
  auto state = std::string(storage::to_string(row.state));
  m_finished.add({row.job, std::string(storage::to_string(row.trigger)), state});
  if (row.submitting_at && row.finished_at) {
    m_duration.observe({row.job, state}, std::max(0.0, seconds(*row.finished_at - *row.submitting_at)));
  }
  auto& marks = m_marks[row.job];
  if (storage::is_success(row.state)) marks.missed_since_success = 0;
  if (row.state == RunState::missed) ++marks.missed_since_success;
}

void RunMetrics::missed(const storage::SlotGap& gap) {
  m_missed.add({gap.job, std::string(storage::to_string(gap.kind)), reason_label(gap.reason)},
               static_cast<double>(gap.count));
  if (gap.kind == RunState::missed) m_marks[gap.job].missed_since_success += gap.count;
}

std::int64_t RunMetrics::missed_since_success(const std::string& job) const {
  auto it = m_marks.find(job);
  return it == m_marks.end() ? 0 : it->second.missed_since_success;
}

void RunMetrics::collect(const Snapshot& s) {
  for (auto* g : {&m_in_flight, &m_next_fire, &m_last_run, &m_last_success,
                  &m_missed_since_success, &m_paused, &m_info}) {
    g->clear();
  }
  std::map<std::pair<std::string, RunState>, int> in_flight;
  for (const auto& [id, t] : s.runs) ++in_flight[{t->row.job, t->row.state}];
  for (const auto& [key, n] : in_flight) {
    m_in_flight.set({key.first, std::string(storage::to_string(key.second))}, n);
  }
  for (const auto& jr : s.jobs) {
    const auto& job = *jr.job;
    m_info.set({job.name, schedules_text(job), job.settings->timezone, job.settings->atom_id,
                job.process_id},
               1);
    m_paused.set({job.name}, jr.paused ? 1 : 0);
    if (jr.next_due) m_next_fire.set({job.name}, epoch_seconds(*jr.next_due));
    if (jr.last_success) m_last_success.set({job.name}, epoch_seconds(*jr.last_success));
    auto marks = m_marks.find(job.name);
    if (marks != m_marks.end() && marks->second.last_run) {
      m_last_run.set({job.name}, epoch_seconds(*marks->second.last_run));
    }
    m_missed_since_success.set({job.name}, static_cast<double>(missed_since_success(job.name)));
  }
  m_auth_open.set({}, s.auth_circuit_open ? 1 : 0);
  m_store_healthy.set({}, s.store_healthy ? 1 : 0);
}

}  // namespace bsched::core
