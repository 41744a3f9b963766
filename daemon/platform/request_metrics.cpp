#include "daemon/platform/request_metrics.h"

#include "daemon/platform/platform_client.h"

namespace bsched::platform {

RequestMetrics::RequestMetrics(metrics::Registry& r)
    : m_requests(r.counter("boomi_sched_platform_requests_total",
                           "HTTP exchanges with the platform, by operation and answer (the HTTP "
                           "status, or the failure when none came back).",
                           {"operation", "code"})),
      m_duration(r.histogram("boomi_sched_platform_request_duration_seconds",
                             "One HTTP exchange with the platform, the pace's wait excluded.",
                             {"operation"}, metrics::request_duration_buckets())),
      m_throttle_wait(r.counter("boomi_sched_platform_throttle_wait_seconds_total",
                                "Time calls waited for the client's pace or a throttled "
                                "answer's back-off.")) {}

void RequestMetrics::exchange(std::string_view operation, std::string_view code, double seconds) {
  m_requests.add({std::string(operation), std::string(code)});
  m_duration.observe({std::string(operation)}, seconds);
}

void RequestMetrics::throttle_wait(double seconds) {
  if (seconds > 0) m_throttle_wait.add({}, seconds);
}

std::string failure_code(const CallError& e) {
  return e.http_status > 0 ? std::to_string(e.http_status) : std::string("no_answer");
}

}  // namespace bsched::platform
