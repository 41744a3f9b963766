#include "daemon/runtime/clock_watch.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace bsched::runtime {

namespace asio = boost::asio;

ClockStepWatcher::ClockStepWatcher(asio::io_context& io) : m_fd(io) {}

ClockStepWatcher::~ClockStepWatcher() { stop(); }

Result<void> ClockStepWatcher::start(std::function<void()> on_step) {
  int fd = ::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    return make_error(fmt::format("cannot watch the wall clock (timerfd_create: {})",
                                  std::strerror(errno)));
  }
  m_fd.assign(fd);
  m_on_step = std::move(on_step);
  BSCHED_TRY(arm());
  wait();
  return {};
}

void ClockStepWatcher::stop() {
  boost::system::error_code ignored;
  m_fd.close(ignored);
}

Result<void> ClockStepWatcher::arm() {
  // An absolute expiry that never comes (early 2106):
  // only a clock step ends the wait, as ECANCELED.
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(INT32_MAX) * 2;
  if (::timerfd_settime(m_fd.native_handle(), TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec,
                        nullptr) != 0) {
    return make_error(fmt::format("cannot arm the wall-clock watch (timerfd_settime: {})",
                                  std::strerror(errno)));
  }
  return {};
}

void ClockStepWatcher::wait() {
  m_fd.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    std::uint64_t expirations = 0;
    ssize_t n = ::read(m_fd.native_handle(), &expirations, sizeof expirations);
    bool stepped = n < 0 && errno == ECANCELED;
    if (n < 0 && errno != ECANCELED && errno != EAGAIN) {
      spdlog::warn("clock.watch_failed error=\"{}\"", std::strerror(errno));
      return;
    }
    // After a cancellation the timer must be armed again to see the next step.
    if (auto r = arm(); !r) {
      spdlog::warn("clock.watch_failed error=\"{}\"", r.error().message);
      return;
    }
    if (stepped && m_on_step) m_on_step();
    wait();
  });
}

}  // namespace bsched::runtime
