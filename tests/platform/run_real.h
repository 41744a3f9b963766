// Runs a coroutine on an io_context on the real clock until it finishes, bounded at 10 s:
// for tests of the real transport against a server on loopback.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <optional>

namespace bsched::platform::test {

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
