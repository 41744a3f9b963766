// The one timer seam of the daemon (with base/clock.h): the engine, the alert dispatcher and
// the platform client's pacer and backoff wait on WakeTimers, so tests drive them with fake
// timers on a fake clock (tests/support/fake_timers.h) and never sleep.
// A WakeTimer measures monotonic time; the engine converts wall-clock targets into delays
// and re-checks the wall clock on every wake-up.
#pragma once

#include "base/time_util.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>

namespace bsched {

class WakeTimer {
 public:
  virtual ~WakeTimer() = default;
  // Arms the timer `delay` from now; replaces an earlier arming.
  virtual void expires_after(Millis delay) = 0;
  // Completes when the timer expires (true) or is cancelled (false). One waiter at a time.
  virtual boost::asio::awaitable<bool> wait() = 0;
  // Wakes the waiter (wait() returns false).
  virtual void cancel() = 0;
};

class TimerFactory {
 public:
  virtual ~TimerFactory() = default;
  virtual std::unique_ptr<WakeTimer> make_timer() = 0;
};

// Real timers: boost::asio::steady_timer on the given io_context.
class SteadyTimerFactory final : public TimerFactory {
 public:
  explicit SteadyTimerFactory(boost::asio::io_context& io) : m_io(io) {}
  std::unique_ptr<WakeTimer> make_timer() override;

 private:
  boost::asio::io_context& m_io;
};

}  // namespace bsched
