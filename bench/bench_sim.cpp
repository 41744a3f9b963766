// The simulator's capacity (docs/benchmarks.md): it must never be the bottleneck of the
// scheduler benchmarks. An in-process simulator on one thread; C keep-alive connections on a
// second thread each doing submit + poll pairs until N requests were answered; then the
// throughput, the latency percentiles, and the resident memory after the request log holds N.
//   build/bench_sim [requests=20000] [connections=8]
#include "daemon/sim/simulator.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto k_tuple = asio::as_tuple(asio::use_awaitable);
// base64("BOOMI_TOKEN.sim@example.com:sim-token"), the simulator's default credentials.
constexpr const char* k_auth = "Basic Qk9PTUlfVE9LRU4uc2ltQGV4YW1wbGUuY29tOnNpbS10b2tlbg==";

struct Totals {
  std::vector<double> latencies_ms;
  int failures = 0;
  int remaining = 0;
};

http::request<http::string_body> make_request(http::verb verb, std::string target, std::string body) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept, "application/json");
  req.set(http::field::authorization, k_auth);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

// One request-answer exchange; the answer's body, or nullopt on failure.
asio::awaitable<std::optional<std::string>> exchange(beast::tcp_stream& stream,
                                                     beast::flat_buffer& buffer,
                                                     http::request<http::string_body> req,
                                                     Totals& totals) {
  const auto t0 = Clock::now();
  stream.expires_after(std::chrono::seconds(10));
  auto [wec, wn] = co_await http::async_write(stream, req, k_tuple);
  http::response<http::string_body> res;
  auto [rec, rn] = co_await http::async_read(stream, buffer, res, k_tuple);
  totals.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  if (wec || rec || res.result_int() >= 400) {
    ++totals.failures;
    co_return std::nullopt;
  }
  co_return res.body();
}

asio::awaitable<void> worker(unsigned short port, int id, Totals& totals) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  beast::flat_buffer buffer;
  auto [cec] = co_await stream.async_connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), k_tuple);
  if (cec) co_return;
  for (int i = 0; totals.remaining > 0; ++i) {
    totals.remaining -= 2;
    const std::string body = fmt::format(
        R"({{"@type":"ExecutionRequest","atomId":"atom","processId":"proc-{}","DynamicProcessProperties":{{"DynamicProcessProperty":[{{"name":"BOOMI_SCHED_RUN_ID","value":"{}-{}"}}]}},"ProcessProperties":{{"ProcessProperty":[]}}}})",
        id, id, i);
    auto echo = co_await exchange(stream, buffer,
                                  make_request(http::verb::post, "/api/rest/v1/sim-account/ExecutionRequest", body),
                                  totals);
    if (!echo) co_return;
    const auto at = echo->find("executionrecord-");
    const std::string request_id = echo->substr(at, std::string("executionrecord-").size() + 36);
    co_await exchange(stream, buffer,
                      make_request(http::verb::get, "/api/rest/v1/sim-account/ExecutionRecord/async/" + request_id, ""),
                      totals);
  }
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100 * static_cast<double>(v.size() - 1)))];
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 8;
  bsched::SystemClock clock;
  asio::io_context sim_io;
  bsched::sim::SimOptions options;
  options.pickup_delay = bsched::Millis{0};
  bsched::sim::Simulator sim(sim_io, clock, options);
  if (auto started = sim.start(); !started) {
    fmt::print(stderr, "{}\n", started.error().message);
    return 1;
  }
  const long rss_before = resident_kib();
  std::thread sim_thread([&] { sim_io.run(); });

  asio::io_context client_io;
  Totals totals;
  totals.remaining = requests;
  for (int c = 0; c < connections; ++c) {
    asio::co_spawn(client_io, worker(sim.port(), c, totals), asio::detached);
  }
  const auto t0 = Clock::now();
  client_io.run();
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const std::size_t logged = sim.requests().size();
  const long rss_after = resident_kib();
  sim.stop();
  sim_thread.join();

  const std::size_t answered = totals.latencies_ms.size();
  fmt::print("requests answered: {} over {} connections in {:.2f} s ({} failures)\n", answered,
             connections, seconds, totals.failures);
  fmt::print("throughput: {:.0f} requests/s\n", static_cast<double>(answered) / seconds);
  fmt::print("latency ms: p50 {:.3f}  p99 {:.3f}  max {:.3f}\n", percentile(totals.latencies_ms, 50),
             percentile(totals.latencies_ms, 99), percentile(totals.latencies_ms, 100));
  fmt::print("request log: {} entries; resident memory {} KiB -> {} KiB (both threads' process)\n",
             logged, rss_before, rss_after);
  return totals.failures == 0 ? 0 : 1;
}
