// The clock the scheduler decides with. Decisions take "now" as an argument; the event loop
// asks a Clock for it, so tests drive everything with a fake one (tests/support/fake_clock.h)
// and never sleep.
#pragma once

#include "base/time_util.h"

#include <chrono>

namespace bsched::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (UTC), for slots and the timestamps stored with runs.
  virtual SysMillis now() const = 0;
  // Monotonic time, for deadlines and detecting wall-clock steps.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  SysMillis now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

}  // namespace bsched::core
