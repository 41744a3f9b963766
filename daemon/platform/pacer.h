// The client-side pace of one account (platform-api.md "Rate limit"): every call waits for a
// slot; slots are 1/requests_per_second apart; waiting triggers are served before waiting
// polls and queries, each class first come first served. 0 requests per second = unpaced.
//
// Measures with the daemon's Clock and waits on one of its WakeTimers (base/clock.h,
// base/timers.h), so tests pace on a fake clock without sleeping. Lives on one io_context
// thread. Destroy only when no acquire() is pending.
#pragma once

#include "base/clock.h"
#include "base/timers.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <deque>
#include <memory>

namespace bsched::platform {

enum class CallPriority {
  trigger,     // ExecutionRequest / processExecute: served first
  background,  // polls, queries, JWT renewal
};

class Pacer {
 public:
  // `clock` and `timers` outlive the pacer.
  Pacer(boost::asio::io_context& io, const Clock& clock, TimerFactory& timers,
        double requests_per_second);
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Resumes when the caller may send its request.
  boost::asio::awaitable<void> acquire(CallPriority priority);

  void set_rate(double requests_per_second);
  std::size_t waiting() const { return m_triggers.size() + m_background.size(); }

 private:
  struct Waiter;
  boost::asio::awaitable<void> dispatch();
  // Resumes at or after `t` (at once when `t` has passed).
  boost::asio::awaitable<void> sleep_until(SteadyTime t);

  boost::asio::io_context& m_io;
  const Clock& m_clock;
  std::unique_ptr<WakeTimer> m_timer;  // the dispatcher's wait for the next slot
  SteadyTime::duration m_interval{};
  SteadyTime m_next{};  // the earliest instant the next slot may be granted
  std::deque<Waiter*> m_triggers, m_background;
  bool m_dispatching = false;
};

}  // namespace bsched::platform
