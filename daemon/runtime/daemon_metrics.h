// The process's own metrics (docs/operations.md, "Metrics"): the build, and the
// configuration reloads the supervisor reports. The runtime owns it beside the registry.
#pragma once

#include "base/time_util.h"
#include "daemon/metrics/registry.h"
#include "daemon/runtime/supervisor.h"

namespace bsched::runtime {

class DaemonMetrics {
 public:
  // `loaded_at`: when the configuration in force at start was loaded.
  DaemonMetrics(metrics::Registry& registry, SysMillis loaded_at);
  void reloaded(const ReloadOutcome& outcome, SysMillis now);

 private:
  metrics::CounterFamily& m_reloads;
  metrics::GaugeFamily& m_last_success;
};

}  // namespace bsched::runtime
