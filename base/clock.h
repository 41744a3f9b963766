// The one clock of the daemon: the engine, the platform client's pacer and the platform
// simulator ask a Clock for "now", so tests drive all of them with one fake
// (tests/support/fake_clock.h) and never sleep. Waiting goes through base/timers.h.
#pragma once

#include "base/time_util.h"

#include <chrono>

namespace bsched {

using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), for slots and the timestamps stored with runs.
  virtual SysMillis now() const = 0;
  // Monotonic time, for deadlines, pacing and detecting wall-clock steps.
  virtual SteadyTime steady_now() const = 0;
};

// The operating system's clocks. Thread-safe.
class SystemClock final : public Clock {
 public:
  SysMillis now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  SteadyTime steady_now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace bsched
