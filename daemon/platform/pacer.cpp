// Pacer: a slot clock plus two queues; one dispatcher coroutine runs while anyone waits.
#include "daemon/platform/pacer.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace bsched::platform {

namespace asio = boost::asio;

struct Pacer::Waiter {
  explicit Waiter(asio::io_context& io) : timer(io, SteadyTime::max()) {}
  asio::steady_timer timer;  // never expires; cancelled when the slot is granted
};

Pacer::Pacer(asio::io_context& io, const Clock& clock, TimerFactory& timers,
             double requests_per_second)
    : m_io(io), m_clock(clock), m_timer(timers.make_timer()) {
  set_rate(requests_per_second);
}

void Pacer::set_rate(double requests_per_second) {
  m_interval = requests_per_second > 0
                   ? std::chrono::duration_cast<SteadyTime::duration>(
                         std::chrono::duration<double>(1.0 / requests_per_second))
                   : SteadyTime::duration{};
}

asio::awaitable<void> Pacer::acquire(CallPriority priority) {
  if (m_interval == SteadyTime::duration{}) co_return;
  auto now = m_clock.steady_now();
  if (!m_dispatching && waiting() == 0 && now >= m_next) {
    m_next = now + m_interval;
    co_return;
  }
  Waiter w(m_io);
  (priority == CallPriority::trigger ? m_triggers : m_background).push_back(&w);
  if (!m_dispatching) {
    m_dispatching = true;
    asio::co_spawn(m_io, dispatch(), [](std::exception_ptr e) {
      if (e) spdlog::error("platform.pacer_failed: unexpected exception in the pacer");
    });
  }
  co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> Pacer::dispatch() {
  while (waiting() > 0) {
    co_await sleep_until(m_next);
    auto& queue = !m_triggers.empty() ? m_triggers : m_background;
    if (queue.empty()) continue;
    Waiter* w = queue.front();
    queue.pop_front();
    m_next = std::max(m_clock.steady_now(), m_next) + m_interval;
    w->timer.cancel();
  }
  m_dispatching = false;
}

asio::awaitable<void> Pacer::sleep_until(SteadyTime t) {
  const auto now = m_clock.steady_now();
  if (t <= now) co_return;
  // Whole milliseconds, rounded up: a slot is never granted early.
  m_timer->expires_after(std::chrono::ceil<Millis>(t - now));
  co_await m_timer->wait();
}

}  // namespace bsched::platform
