// Coalescing bursts of events into one action (pure; the caller passes the time).
// A config edit arrives as several inotify events (write, close, rename); the reload waits
// until the files have been quiet for `quiet`, but never longer than `max_delay` after the
// first event, so a file rewritten without pause still gets picked up.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>

namespace bsched::runtime {

class Debouncer {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  Debouncer(Clock::duration quiet, Clock::duration max_delay)
      : m_quiet(quiet), m_max_delay(max_delay) {}

  // An event happened at `now`.
  void note(TimePoint now) {
    if (!m_pending) m_first = now;
    m_pending = true;
    m_last = now;
  }

  // When the action is due; nullopt when no event is waiting.
  std::optional<TimePoint> due() const {
    if (!m_pending) return std::nullopt;
    return std::min(m_last + m_quiet, m_first + m_max_delay);
  }

  // True (and the burst is consumed) when the action is due at `now`.
  bool fire(TimePoint now) {
    auto d = due();
    if (!d || now < *d) return false;
    m_pending = false;
    return true;
  }

  bool pending() const { return m_pending; }

 private:
  Clock::duration m_quiet;
  Clock::duration m_max_delay;
  bool m_pending = false;
  TimePoint m_first{};
  TimePoint m_last{};
};

}  // namespace bsched::runtime
