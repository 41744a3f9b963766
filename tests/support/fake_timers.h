// Timers driven by a FakeClock: they expire only when the test moves the clock and calls
// fire_due() (or advance() / advance_to_next(), which do both), so the engine, the alert
// dispatcher and the platform client run on a real io_context without sleeping. Timers are
// numbered at creation: timers due at the same instant fire oldest first, the same order
// in every run (never heap-address order), which the seeded simulation relies on.
#pragma once

#include "base/timers.h"
#include "tests/support/fake_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace bsched::test {

class FakeTimerFactory;

class FakeWakeTimer final : public WakeTimer {
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
  std::uint64_t m_number;
  std::optional<std::chrono::steady_clock::time_point> m_deadline;
  bool m_fired = false;
};

class FakeTimerFactory final : public TimerFactory {
 public:
  FakeTimerFactory(boost::asio::io_context& io, FakeClock& clock) : m_io(io), m_clock(clock) {}

  std::unique_ptr<WakeTimer> make_timer() override {
    return std::make_unique<FakeWakeTimer>(m_io, *this);
  }

  // Expires every timer whose deadline is at or before the clock's monotonic now, oldest
  // timer first; answers how many.
  int fire_due() {
    std::vector<std::uint64_t> numbers;
    for (const auto& [n, t] : m_timers) numbers.push_back(n);
    int fired = 0;
    for (auto n : numbers) {
      auto it = m_timers.find(n);  // a timer may be gone meanwhile
      if (it != m_timers.end()) fired += it->second->fire_if_due(m_clock.steady_now());
    }
    return fired;
  }

  std::optional<std::chrono::steady_clock::time_point> earliest() const {
    std::optional<std::chrono::steady_clock::time_point> best;
    for (const auto& [n, t] : m_timers) {
      if (t->deadline() && (!best || *t->deadline() < *best)) best = t->deadline();
    }
    return best;
  }

  // Moves the clock by `d` and expires what fell due on the way.
  void advance(Millis d) {
    m_clock.advance(d);
    fire_due();
  }
  // Moves the clock to the earliest armed timer and expires it (and any due with it);
  // false when no timer is armed.
  bool advance_to_next() {
    auto next = earliest();
    if (!next) return false;
    if (*next > m_clock.steady_now()) {
      m_clock.advance(std::chrono::ceil<Millis>(*next - m_clock.steady_now()));
    }
    fire_due();
    return true;
  }

  // How many timers are armed (the engine's idle cost).
  int armed() const {
    int n = 0;
    for (const auto& [number, t] : m_timers) n += t->deadline().has_value();
    return n;
  }

  const FakeClock& clock() const { return m_clock; }
  std::uint64_t add(FakeWakeTimer* t) {
    m_timers.emplace(++m_count, t);
    return m_count;
  }
  void remove(std::uint64_t number) { m_timers.erase(number); }

 private:
  boost::asio::io_context& m_io;
  FakeClock& m_clock;
  std::map<std::uint64_t, FakeWakeTimer*> m_timers;
  std::uint64_t m_count = 0;
};

inline FakeWakeTimer::FakeWakeTimer(boost::asio::io_context& io, FakeTimerFactory& owner)
    : m_inner(io), m_owner(owner), m_number(owner.add(this)) {}

inline FakeWakeTimer::~FakeWakeTimer() { m_owner.remove(m_number); }

inline void FakeWakeTimer::expires_after(Millis delay) {
  m_deadline = m_owner.clock().steady_now() + delay;
}

}  // namespace bsched::test
