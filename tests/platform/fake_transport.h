// Test doubles of the platform tests: a scripted HttpTransport and a driver that runs
// coroutines on an io_context against fake timers on a FakeClock (time jumps, never sleeps).
#pragma once

#include "daemon/platform/http_transport.h"
#include "tests/support/fake_timers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bsched::platform::test {

using SendResult = Result<HttpResponse, TransportError>;

inline HttpResponse response(int status, std::string body = {}, Headers headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

inline TransportError transport_error(TransportError::Kind kind, TransportError::Sent sent,
                                      std::string message = "scripted failure") {
  return TransportError{kind, sent, std::move(message)};
}

// Answers from a script (first in, first out); `fallback` answers when the script is empty.
class FakeTransport final : public HttpTransport {
 public:
  struct Sent {
    HttpRequest request;
    SteadyTime at;
  };
  explicit FakeTransport(const Clock* clock = nullptr) : m_clock(clock) {}

  void push(HttpResponse r) { m_script.emplace_back(std::move(r)); }
  void push(TransportError e) { m_script.emplace_back(std::move(e)); }

  boost::asio::awaitable<SendResult> send(HttpRequest request) override {
    sent.push_back({request, m_clock ? m_clock->steady_now() : SteadyTime{}});
    if (!m_script.empty()) {
      auto r = std::move(m_script.front());
      m_script.pop_front();
      co_return r;
    }
    if (fallback) co_return fallback(request);
    co_return SendResult(response(500, R"({"@type":"Error","message":"unscripted request"})"));
  }

  std::vector<Sent> sent;
  std::function<SendResult(const HttpRequest&)> fallback;

 private:
  const Clock* m_clock;
  std::deque<SendResult> m_script;
};

// Runs the io_context, jumping the fake clock to the next armed timer whenever nothing is
// ready, until `done()` holds. Throws when everything sleeps forever or a coroutine threw.
inline void drive(boost::asio::io_context& io, bsched::test::FakeTimerFactory& timers,
                  const std::function<bool()>& done) {
  for (int steps = 0; steps < 100000; ++steps) {
    io.restart();
    io.poll();
    if (done()) return;
    if (!timers.advance_to_next()) {
      io.restart();
      io.poll();
      if (done()) return;
      throw std::runtime_error("drive: nothing left to run and not done");
    }
  }
  throw std::runtime_error("drive: too many steps");
}

// Spawns `a` and drives until it finished; returns its value.
template <class T>
T run_fake(boost::asio::io_context& io, bsched::test::FakeTimerFactory& timers,
           boost::asio::awaitable<T> a) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(a)); },
      [&](std::exception_ptr e) { error = e; });
  drive(io, timers, [&] { return out.has_value() || error; });
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

}  // namespace bsched::platform::test
