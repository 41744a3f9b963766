// Detects steps of the wall clock (NTP step, `date -s`, resume from suspend) without
// polling: a timerfd on CLOCK_REALTIME armed far in the future with TFD_TIMER_CANCEL_ON_SET
// is cancelled by the kernel whenever the clock is set, which wakes the io_context.
#pragma once

#include "base/result.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <functional>

namespace bsched::runtime {

class ClockStepWatcher {
 public:
  explicit ClockStepWatcher(boost::asio::io_context& io);
  ~ClockStepWatcher();
  ClockStepWatcher(const ClockStepWatcher&) = delete;
  ClockStepWatcher& operator=(const ClockStepWatcher&) = delete;

  // Calls `on_step` on the io_context after each step, once per step. Errors: timerfd
  // unavailable.
  Result<void> start(std::function<void()> on_step);
  void stop();

 private:
  Result<void> arm();
  void wait();

  boost::asio::posix::stream_descriptor m_fd;
  std::function<void()> m_on_step;
};

}  // namespace bsched::runtime
