// The time source of the platform client's pacing, backoff, auth circuit and JWT renewal.
// SystemPaceClock waits on asio timers; tests use FakePaceClock
// (tests/support/fake_pace_clock.h), which moves only when told to, so the client's timing is
// tested without sleeping. Both live on one io_context thread.
#pragma once

#include "base/time_util.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <optional>

namespace bsched::platform {

using SteadyTime = std::chrono::steady_clock::time_point;

class PaceClock {
 public:
  virtual ~PaceClock() = default;
  virtual SteadyTime now() const = 0;
  virtual SysMillis wall_now() const = 0;
  // Resumes at or after `t` (at once when `t` has passed).
  virtual boost::asio::awaitable<void> sleep_until(SteadyTime t) = 0;
};

class SystemPaceClock final : public PaceClock {
 public:
  explicit SystemPaceClock(boost::asio::io_context& io) : m_io(io) {}
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  SysMillis wall_now() const override {
    return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  }
  boost::asio::awaitable<void> sleep_until(SteadyTime t) override {
    boost::asio::steady_timer timer(m_io, t);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }

 private:
  boost::asio::io_context& m_io;
};

}  // namespace bsched::platform
