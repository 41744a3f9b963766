// A Clock for tests: time moves only when told to. Atomic, so a simulator serving on a
// thread of its own may read it while the test thread moves it.
#pragma once

#include "base/clock.h"

#include <atomic>

namespace bsched::test {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SysMillis start) : m_now(start) {}
  SysMillis now() const override { return m_now.load(); }
  std::chrono::steady_clock::time_point steady_now() const override { return m_steady.load(); }
  // Both clocks move by `d` (only the thread that moves the clock may call it).
  void advance(Millis d) {
    m_now.store(m_now.load() + d);
    m_steady.store(m_steady.load() + d);
  }
  // A wall-clock step: the wall clock jumps, the monotonic clock does not.
  void step_wall(Millis d) { m_now.store(m_now.load() + d); }

 private:
  std::atomic<SysMillis> m_now;
  std::atomic<std::chrono::steady_clock::time_point> m_steady{};
};

}  // namespace bsched::test
