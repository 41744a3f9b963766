#include "daemon/core/store_monitor.h"

#include "config/escape.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

namespace bsched::core {

void StoreMonitor::failed(std::string_view op, const storage::StoreError& e, SysMillis now) {
  spdlog::error("store.error op={} kind={} message=\"{}\"", op, storage::to_string(e.kind),
                esc(e.message));
  if (!m_failing_since) {
    m_failing_since = now;
    m_errors = 0;
  }
  ++m_errors;
  m_last_error = e.message;
}

void StoreMonitor::succeeded(SysMillis now) {
  if (!m_failing_since) return;
  m_last_outage = fmt::format("last outage {} .. {}, {} error{}: {}", format_utc_ms(*m_failing_since),
                              format_utc_ms(now), m_errors, m_errors == 1 ? "" : "s", m_last_error);
  spdlog::warn("store.recovered since={} errors={} message=\"{}\"", format_utc_ms(*m_failing_since),
               m_errors, esc(m_last_error));
  m_failing_since.reset();
}

std::string StoreMonitor::describe() const {
  if (m_failing_since) {
    return fmt::format("failing since {}: {} ({} error{})", format_utc_ms(*m_failing_since),
                       m_last_error, m_errors, m_errors == 1 ? "" : "s");
  }
  return m_last_outage.empty() ? "ok" : "ok (" + m_last_outage + ")";
}

}  // namespace bsched::core
