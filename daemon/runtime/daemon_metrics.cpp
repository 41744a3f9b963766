#include "daemon/runtime/daemon_metrics.h"

namespace bsched::runtime {

namespace {

double epoch_seconds(SysMillis t) { return static_cast<double>(t.time_since_epoch().count()) / 1000.0; }

}  // namespace

DaemonMetrics::DaemonMetrics(metrics::Registry& r, SysMillis loaded_at)
    : m_reloads(r.counter("boomi_sched_config_reloads_total",
                          "Configuration reloads, by result (ok, or failed: the previous one runs on).",
                          {"result"})),
      m_last_success(r.gauge("boomi_sched_config_last_reload_success_timestamp_seconds",
                             "When the configuration in force was loaded (Unix time).")) {
  r.gauge("boomi_sched_build_info", "The running build; the value is always 1.", {"version"})
      .set({BSCHED_VERSION}, 1);
  m_reloads.add({"ok"}, 0);
  m_reloads.add({"failed"}, 0);
  m_last_success.set({}, epoch_seconds(loaded_at));
}

void DaemonMetrics::reloaded(const ReloadOutcome& outcome, SysMillis now) {
  m_reloads.add({outcome.failed ? "failed" : "ok"});
  if (!outcome.failed) m_last_success.set({}, epoch_seconds(now));
}

}  // namespace bsched::runtime
