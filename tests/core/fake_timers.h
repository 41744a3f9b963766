// Timers driven by a FakeClock: they expire only when the test moves the clock and calls
// fire_due(), so engine tests run on a real io_context without sleeping.
#pragma once

#include "tests/support/fake_clock.h"
#include "daemon/core/timers.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <set>

namespace bsched::test {

class FakeTimerFactory;

class FakeWakeTimer final : public core::WakeTimer {
 public:
  FakeWakeTimer(boost::asio::io_context& io, FakeTimerFactory& owner);
  ~FakeWakeTimer() override;

  void expires_after(Millis delay) override;
  boost::asio::awaitable<bool> wait() override {
    m_inner.expires_at(std::chrono::steady_clock::time_point::max());
    m_fired = false;
    co_await m_inner.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    m_deadline.reset();
    co_return m_fired;
  }
  void cancel() override {
    m_deadline.reset();
    m_fired = false;
    m_inner.cancel();
  }

  // Expires the timer if its deadline has come.
  bool fire_if_due(std::chrono::steady_clock::time_point now) {
    if (!m_deadline || *m_deadline > now) return false;
    m_deadline.reset();
    m_fired = true;
    m_inner.cancel();
    return true;
  }
  const std::optional<std::chrono::steady_clock::time_point>& deadline() const { return m_deadline; }

 private:
  boost::asio::steady_timer m_inner;
  FakeTimerFactory& m_owner;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
  bool m_fired = false;
};

class FakeTimerFactory final : public core::TimerFactory {
 public:
  FakeTimerFactory(boost::asio::io_context& io, const core::FakeClock& clock)
      : m_io(io), m_clock(clock) {}

  std::unique_ptr<core::WakeTimer> make_timer() override {
    return std::make_unique<FakeWakeTimer>(m_io, *this);
  }

  // Expires every timer whose deadline is at or before the clock's monotonic now.
  int fire_due() {
    int n = 0;
    for (auto* t : std::set<FakeWakeTimer*>(m_timers)) n += t->fire_if_due(m_clock.steady_now());
    return n;
  }

  std::optional<std::chrono::steady_clock::time_point> earliest() const {
    std::optional<std::chrono::steady_clock::time_point> best;
    for (auto* t : m_timers) {
      if (t->deadline() && (!best || *t->deadline() < *best)) best = t->deadline();
    }
    return best;
  }

  // How many timers are armed (the engine's idle cost).
  int armed() const {
    int n = 0;
    for (auto* t : m_timers) n += t->deadline().has_value();
    return n;
  }

  const core::FakeClock& clock() const { return m_clock; }
  void add(FakeWakeTimer* t) { m_timers.insert(t); }
  void remove(FakeWakeTimer* t) { m_timers.erase(t); }

 private:
  boost::asio::io_context& m_io;
  const core::FakeClock& m_clock;
  std::set<FakeWakeTimer*> m_timers;
};

inline FakeWakeTimer::FakeWakeTimer(boost::asio::io_context& io, FakeTimerFactory& owner)
    : m_inner(io), m_owner(owner) {
  m_owner.add(this);
}

inline FakeWakeTimer::~FakeWakeTimer() { m_owner.remove(this); }

inline void FakeWakeTimer::expires_after(Millis delay) {
  m_deadline = m_owner.clock().steady_now() + delay;
}

}  // namespace bsched::test
