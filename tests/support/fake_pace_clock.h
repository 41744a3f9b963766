// A PaceClock for tests: sleepers park on timers that never expire by themselves; advance()
// wakes the due ones, so the platform client's timing is tested without sleeping.
#pragma once

#include "daemon/platform/pace_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <list>
#include <optional>

namespace bsched::platform {

// Drive a test with `while (!done) { io.poll(); if (!clock.advance_to_next()) break; }`.
class FakePaceClock final : public PaceClock {
 public:
  FakePaceClock(boost::asio::io_context& io, SysMillis wall_start)
      : m_io(io), m_wall_start(wall_start) {}

  SteadyTime now() const override { return m_now; }
  SysMillis wall_now() const override {
    return m_wall_start + std::chrono::duration_cast<Millis>(m_now - SteadyTime{});
  }
  boost::asio::awaitable<void> sleep_until(SteadyTime t) override {
    if (t <= m_now) co_return;
    boost::asio::steady_timer timer(m_io, SteadyTime::max());
    auto it = m_sleepers.insert(m_sleepers.end(), Sleeper{t, &timer, false});
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    m_sleepers.erase(it);
  }

  void advance(SteadyTime::duration d) {
    m_now += d;
    for (auto& s : m_sleepers)
      if (!s.woken && s.until <= m_now) {
        s.woken = true;
        s.timer->cancel();
      }
  }
  // Jumps to the earliest pending sleep and wakes it; false when nobody sleeps.
  bool advance_to_next() {
    std::optional<SteadyTime> next;
    for (auto& s : m_sleepers)
      if (!s.woken && (!next || s.until < *next)) next = s.until;
    if (!next) return false;
    advance(std::max(*next - m_now, SteadyTime::duration{}));
    return true;
  }

 private:
  struct Sleeper {
    SteadyTime until;
    boost::asio::steady_timer* timer;
    bool woken;
  };
  boost::asio::io_context& m_io;
  SysMillis m_wall_start;
  SteadyTime m_now{};
  std::list<Sleeper> m_sleepers;
};

}  // namespace bsched::platform
