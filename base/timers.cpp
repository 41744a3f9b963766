// Real timers over boost::asio::steady_timer.
#include "base/timers.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bsched {

namespace {

class SteadyWakeTimer final : public WakeTimer {
 public:
  explicit SteadyWakeTimer(boost::asio::io_context& io) : m_timer(io) {}

  void expires_after(Millis delay) override { m_timer.expires_after(delay); }

  boost::asio::awaitable<bool> wait() override {
    auto [ec] = co_await m_timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return !ec;
  }

  void cancel() override { m_timer.cancel(); }

 private:
  boost::asio::steady_timer m_timer;
};

}  // namespace

std::unique_ptr<WakeTimer> SteadyTimerFactory::make_timer() {
  return std::make_unique<SteadyWakeTimer>(m_io);
}

}  // namespace bsched
