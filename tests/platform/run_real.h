// Runs a coroutine on an io_context on the real clock until it finishes, bounded at 10 s:
// for tests of the real transport against a server on loopback. RealTimeClient: a platform
// client with the real clock and timers it waits on.
#pragma once

#include "base/clock.h"
#include "base/timers.h"
#include "daemon/platform/platform_client.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <optional>

namespace bsched::platform::test {

// Owns a SystemClock and steady timers on `io` and the client made over them (the daemon
// shares its own with the engine instead). Used like a pointer to the client.
class RealTimeClient {
 public:
  // `make(clock, timers)` makes the client.
  template <class Make>
  RealTimeClient(boost::asio::io_context& io, Make make)
      : m_timers(io), m_client(make(m_clock, m_timers)) {}
  RealTimeClient(const RealTimeClient&) = delete;
  RealTimeClient& operator=(const RealTimeClient&) = delete;

  PlatformClient* operator->() const { return m_client.get(); }
  PlatformClient& operator*() const { return *m_client; }

 private:
  SystemClock m_clock;
  SteadyTimerFactory m_timers;
  std::unique_ptr<PlatformClient> m_client;
};

template <class T>
T run_real(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  using namespace std::chrono_literals;
  std::optional<T> out;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      boost::asio::detached);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!out && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_one_for(50ms);
  }
  REQUIRE(out.has_value());
  return std::move(*out);
}

}  // namespace bsched::platform::test
