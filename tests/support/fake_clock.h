// A Clock for tests: time moves only when told to.
#pragma once

#include "daemon/core/clock.h"

namespace bsched::core {

// For tests: time moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SysMillis start) : m_now(start) {}
  SysMillis now() const override { return m_now; }
  std::chrono::steady_clock::time_point steady_now() const override { return m_steady; }
  void advance(Millis d) { m_now += d; m_steady += d; }
  // A wall-clock step: the wall clock jumps, the monotonic clock does not.
  void step_wall(Millis d) { m_now += d; }

 private:
  SysMillis m_now;
  std::chrono::steady_clock::time_point m_steady{};
};

}  // namespace bsched::core
