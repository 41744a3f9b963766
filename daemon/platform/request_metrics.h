// The platform client's metrics (docs/operations.md, "Metrics"): every HTTP exchange with the
// platform by operation and answer, its duration, and the time calls waited for the pace or
// for a throttled answer's back-off. The client owns it and tells it each exchange.
#pragma once

#include "daemon/metrics/registry.h"

#include <string>
#include <string_view>

namespace bsched::platform {

struct CallError;

class RequestMetrics {
 public:
  explicit RequestMetrics(metrics::Registry& registry);

  // One exchange of `operation` ("POST ExecutionRequest", …): `code` is the HTTP status, or
  // "no_answer" when none came back (refused, reset, timed out).
  void exchange(std::string_view operation, std::string_view code, double seconds);
  void throttle_wait(double seconds);

 private:
  metrics::CounterFamily& m_requests;
  metrics::HistogramFamily& m_duration;
  metrics::CounterFamily& m_throttle_wait;
};

// The `code` label of a failed exchange.
std::string failure_code(const CallError& e);

}  // namespace bsched::platform
