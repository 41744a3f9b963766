#include "daemon/runtime/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <fmt/core.h>

#include <algorithm>

namespace bsched::runtime {

void SdNotifier::send(const std::string& message) {
  // 0 unset_environment: the variables stay for later messages. Failures are not fatal:
  // outside systemd (no NOTIFY_SOCKET) this does nothing.
  (void)sd_notify(0, message.c_str());
}

std::optional<std::chrono::microseconds> SdNotifier::watchdog_timeout() const {
  std::uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID (if set) is this process.
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

std::string status_line(const core::EngineStats& stats, const RuntimeNote& note) {
  std::string platform = stats.platform.empty() ? std::string("not contacted yet") : stats.platform;
  std::replace_if(platform.begin(), platform.end(), [](char c) { return c == '\n' || c == '\r'; },
                  ' ');
  auto line = fmt::format("{} job{}, {} in flight, {} failed since start, platform {}", stats.jobs,
                          stats.jobs == 1 ? "" : "s", stats.in_flight, stats.failures, platform);
  if (note.reload_failed) {
    line += fmt::format("; config reload failed ({} error{}), previous configuration running",
                        note.reload_errors, note.reload_errors == 1 ? "" : "s");
  }
  if (note.stopping) line += "; stopping";
  return line;
}

std::string status_message(const std::string& line) { return "STATUS=" + line; }

std::string ready_message(const std::string& line) { return "READY=1\nSTATUS=" + line; }

std::string reloading_message(std::chrono::microseconds monotonic_now) {
  return fmt::format("RELOADING=1\nMONOTONIC_USEC={}", monotonic_now.count());
}

std::chrono::microseconds monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) +
         std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::nanoseconds(ts.tv_nsec));
}

std::chrono::milliseconds watchdog_period(std::chrono::microseconds timeout) {
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(timeout / 2);
  return std::max(half, std::chrono::milliseconds(1));
}

std::optional<std::string> StatusThrottle::offer(std::string line, TimePoint now) {
  if (m_sent && *m_sent == line) {
    m_pending.reset();  // changed and changed back within the interval: nothing to say
    return std::nullopt;
  }
  if (!m_sent || now - m_sent_at >= m_min_interval) {
    mark_sent(line, now);
    return line;
  }
  m_pending = std::move(line);
  return std::nullopt;
}

std::optional<std::string> StatusThrottle::flush(TimePoint now) {
  if (!m_pending || now - m_sent_at < m_min_interval) return std::nullopt;
  auto line = std::move(*m_pending);
  mark_sent(line, now);
  return line;
}

std::optional<StatusThrottle::TimePoint> StatusThrottle::due() const {
  if (!m_pending) return std::nullopt;
  return m_sent_at + m_min_interval;
}

void StatusThrottle::mark_sent(std::string line, TimePoint now) {
  m_sent = std::move(line);
  m_sent_at = now;
  m_pending.reset();
}

}  // namespace bsched::runtime
