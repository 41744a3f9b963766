// The engine's metrics (docs/operations.md, "Metrics"): what its runs and slots did, counted
// from the store's totals at start on, and the per-job gauges read from the engine's parts at
// each scrape. It owns the counters, the histograms and the per-job "last run" and "missed
// since success" it keeps between scrapes; the engine tells it what happened.
#pragma once

#include "daemon/core/job_book.h"
#include "daemon/core/runs_in_flight.h"
#include "daemon/metrics/registry.h"
#include "storage/run_store.h"

#include <map>
#include <string>

namespace bsched::core {

// The bounded label of a missed-slot reason: its text up to the first ':' ("overlap: run 812
// in flight" is "overlap"), so a label never carries a run id.
std::string reason_label(std::string_view reason);

class RunMetrics {
 public:
  explicit RunMetrics(metrics::Registry& registry);

  // The store's totals at start: the counters and the per-job state go on from them.
  void seed(const storage::StoreTotals& totals);
  // A run's first request leaves at `sent` (lateness: its slot to `sent`).
  void started(const storage::RunRow& row, SysMillis sent);
  // A run reached a terminal state (duration: its first request to its end).
  void finished(const storage::RunRow& row);
  // Slots recorded missed or skipped.
  void missed(const storage::SlotGap& gap);

  // What the gauges read at a scrape.
  struct Snapshot {
    const JobBook& jobs;
    const RunsInFlight& runs;
    bool auth_circuit_open = false;
    bool store_healthy = true;
  };
  void collect(const Snapshot& s);

  // The per-job state kept between scrapes (tests).
  std::int64_t missed_since_success(const std::string& job) const;

 private:
  metrics::CounterFamily& m_started;
  metrics::CounterFamily& m_finished;
  metrics::CounterFamily& m_missed;
  metrics::HistogramFamily& m_lateness;
  metrics::HistogramFamily& m_duration;
  metrics::GaugeFamily& m_in_flight;
  metrics::GaugeFamily& m_next_fire;
  metrics::GaugeFamily& m_last_run;
  metrics::GaugeFamily& m_last_success;
  metrics::GaugeFamily& m_missed_since_success;
  metrics::GaugeFamily& m_paused;
  metrics::GaugeFamily& m_info;
  metrics::GaugeFamily& m_auth_open;
  metrics::GaugeFamily& m_store_healthy;

  struct JobMarks {
    std::optional<sys_seconds> last_run;  // the latest slot a run was created for
    std::int64_t missed_since_success = 0;
  };
  std::map<std::string, JobMarks, std::less<>> m_marks;
};

}  // namespace bsched::core
