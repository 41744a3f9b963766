// The client-side pace of one account (platform-api.md "Rate limit"): every call waits for a
// slot; slots are 1/requests_per_second apart; waiting triggers are served before waiting
// polls and queries, each class first come first served. 0 requests per second = unpaced.
//
// Lives on one io_context thread. Destroy only when no acquire() is pending.
#pragma once

#include "daemon/platform/pace_clock.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <cstddef>
#include <deque>

namespace bsched::platform {

enum class CallPriority {
  trigger,     // ExecutionRequest / processExecute: served first
  background,  // polls, queries, JWT renewal
};

class Pacer {
 public:
  Pacer(boost::asio::io_context& io, PaceClock& clock, double requests_per_second);
  Pacer(const Pacer&) = delete;
  Pacer& operator=(const Pacer&) = delete;

  // Resumes when the caller may send its request.
  boost::asio::awaitable<void> acquire(CallPriority priority);

  void set_rate(double requests_per_second);
  std::size_t waiting() const { return m_triggers.size() + m_background.size(); }

 private:
  struct Waiter;
  boost::asio::awaitable<void> dispatch();

  boost::asio::io_context& m_io;
  PaceClock& m_clock;
  SteadyTime::duration m_interval{};
  SteadyTime m_next{};  // the earliest instant the next slot may be granted
  std::deque<Waiter*> m_triggers, m_background;
  bool m_dispatching = false;
};

}  // namespace bsched::platform
