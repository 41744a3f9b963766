// Test support for the simulator: an in-process simulator on its own thread whose platform
// time is a FakeClock the test moves (no sleeping), and a minimal Beast HTTP client (its own
// io_context, a 2 s deadline on every call) that keeps its connection alive between calls.
// Deliberately independent of daemon/platform/.
#pragma once

#include "daemon/sim/sim_util.h"
#include "daemon/sim/simulator.h"
#include "tests/support/fake_clock.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace bsched::sim::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// Options for fast tests: short lifecycle, everything else default.
inline SimOptions fast_options() {
  SimOptions o;
  o.pickup_delay = Millis{50};
  o.run_duration = Millis{100};
  return o;
}

// The platform time a SimFixture starts at.
inline SysMillis sim_start() { return SysMillis{Millis{1'780'000'000'000}}; }  // 2026-05-28

// The simulator on a thread of its own, on a fake clock; stops and joins on destruction.
class SimFixture {
 public:
  explicit SimFixture(SimOptions options = fast_options())
      : m_sim(m_io, m_clock, std::move(options)) {
    auto started = m_sim.start();
    REQUIRE_MESSAGE(started.has_value(), (started ? "" : started.error().message));
    m_thread = std::thread([this] { m_io.run(); });
  }
  ~SimFixture() {
    m_sim.stop();
    m_thread.join();
  }
  Simulator& sim() { return m_sim; }
  unsigned short port() const { return m_sim.port(); }
  // The platform's time; it moves only by advance() (between requests, from the test thread).
  const bsched::test::FakeClock& clock() const { return m_clock; }
  void advance(Millis d) { m_clock.advance(d); }

 private:
  bsched::test::FakeClock m_clock{sim_start()};
  asio::io_context m_io;
  Simulator m_sim;
  std::thread m_thread;
};

struct HttpAnswer {
  int status = 0;  // 0: no answer (connection reset, timeout)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  boost::system::error_code error;

  boost::json::value json() const { return boost::json::parse(body); }
};

inline std::string basic_auth(const std::string& user, const std::string& token) {
  static constexpr char k_chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + token;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += k_chars[(n >> 18) & 63];
    out += k_chars[(n >> 12) & 63];
    out += i + 1 < in.size() ? k_chars[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? k_chars[n & 63] : '=';
  }
  return "Basic " + out;
}

// A keep-alive HTTP/1.1 client for one simulator port. Reconnects after a failure.
class TestClient {
 public:
  explicit TestClient(unsigned short port, std::chrono::milliseconds deadline = 2000ms)
      : m_port(port), m_deadline(deadline) {}

  // Headers default to what the platform wants (Accept, JSON body, the simulator's default
  // credentials); `headers` adds or replaces (an empty value removes).
  HttpAnswer send(http::verb method, const std::string& target, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/json");
    req.set(http::field::authorization, basic_auth(SimOptions{}.username, SimOptions{}.token));
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : headers) {
      if (value.empty()) {
        req.erase(name);
      } else {
        req.set(name, value);
      }
    }
    req.body() = body;
    req.prepare_payload();
    HttpAnswer answer;
    m_io.restart();
    asio::co_spawn(m_io, exchange(req, answer), asio::detached);
    m_io.run();
    return answer;
  }

  HttpAnswer post_json(const std::string& target, const std::string& body) {
    return send(http::verb::post, target, body);
  }
  HttpAnswer get(const std::string& target) { return send(http::verb::get, target); }

  int connects() const { return m_connects; }

 private:
  asio::awaitable<void> exchange(http::request<http::string_body>& req, HttpAnswer& answer) {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    if (!m_stream || !m_stream->socket().is_open()) {
      m_stream.emplace(m_io);
      m_stream->expires_after(m_deadline);
      asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), m_port);
      auto [cec] = co_await m_stream->async_connect(ep, tuple);
      ++m_connects;
      if (cec) {
        answer.error = cec;
        m_stream.reset();
        co_return;
      }
    }
    m_stream->expires_after(m_deadline);
    auto [wec, wn] = co_await http::async_write(*m_stream, req, tuple);
    http::response<http::string_body> res;
    boost::system::error_code rec = wec;
    if (!wec) std::tie(rec, std::ignore) = co_await http::async_read(*m_stream, m_buffer, res, tuple);
    if (rec) {
      answer.error = rec;
      m_stream.reset();
      m_buffer.clear();
      co_return;
    }
    answer.status = static_cast<int>(res.result_int());
    answer.body = res.body();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      answer.headers[name] = std::string(field.value());
    }
    if (!res.keep_alive()) m_stream.reset();
  }

  asio::io_context m_io;
  unsigned short m_port;
  std::chrono::milliseconds m_deadline;
  std::optional<beast::tcp_stream> m_stream;
  beast::flat_buffer m_buffer;
  int m_connects = 0;
};

inline std::string rest_path(const std::string& resource,
                             const std::string& account = SimOptions{}.account_id) {
  return "/api/rest/v1/" + account + "/" + resource;
}

// A valid ExecutionRequest body carrying `run_id` as BOOMI_SCHED_RUN_ID.
inline std::string submit_body(const std::string& process_id = "proc-1",
                               const std::string& run_id = "run-1") {
  return R"({"@type":"ExecutionRequest","atomId":"atom-1","processId":")" + process_id +
         R"(","DynamicProcessProperties":{"DynamicProcessProperty":[{"name":"BOOMI_SCHED_RUN_ID","value":")" +
         run_id + R"("}]},"ProcessProperties":{"ProcessProperty":[]}})";
}

// True when `v` is the platform's documented JSON error body: exactly {"message":"…"}.
inline bool is_error_body(const boost::json::value& v) {
  if (!v.is_object() || v.get_object().size() != 1) return false;
  const boost::json::value* m = v.get_object().if_contains("message");
  return m != nullptr && m->is_string() && !m->get_string().empty();
}

// Submits and answers the requestId (fails the test when the submit is refused).
inline std::string submit(TestClient& client, const std::string& process_id = "proc-1",
                          const std::string& run_id = "run-1") {
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body(process_id, run_id));
  REQUIRE(a.status == 200);
  return std::string(a.json().at("requestId").as_string());
}

inline HttpAnswer poll(TestClient& client, const std::string& request_id) {
  return client.get(rest_path("ExecutionRecord/async/" + request_id));
}

// The record of a 200 poll answer (bare, or in the envelope of SimOptions::poll_envelope).
inline boost::json::object record_of(const HttpAnswer& a) {
  boost::json::object o = a.json().as_object();
  if (o.contains("result")) return o.at("result").as_array().at(0).as_object();
  return o;
}

// Polls every 10 ms of the fixture's platform time until the record's status is terminal;
// bounded by `limit` of that time.
inline boost::json::object poll_until_terminal(SimFixture& fx, TestClient& client,
                                               const std::string& request_id,
                                               std::chrono::milliseconds limit = 2000ms) {
  const auto until = fx.clock().now() + limit;
  while (fx.clock().now() < until) {
    HttpAnswer a = poll(client, request_id);
    if (a.status == 200) {
      boost::json::object r = record_of(a);
      const std::string status(r.at("status").as_string());
      if (status != "STARTED" && status != "INPROCESS") return r;
    }
    fx.advance(10ms);
  }
  FAIL("the run did not reach a terminal status in time");
  return {};
}

}  // namespace bsched::sim::test
