// Benchmark of the platform client: submit + poll cycles against the in-process simulator
// (loopback, pacing off, pickup and run time 0 so one poll returns the terminal record).
// The simulator runs on its own thread; the client's CPU is its thread's CPU time.
//
//   build/bench_client [cycles=1000] [concurrency=1] [tls=0]
//
// Prints cycles/s, requests/s and client CPU per 1,000 cycles (see docs/benchmarks.md).
#include "daemon/platform/beast_transport.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/sim/simulator.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <fmt/core.h>

#include <time.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace bsched;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

struct Totals {
  int cycles = 0;
  int failures = 0;
};

// One worker: `n` sequential submit + poll cycles.
asio::awaitable<void> worker(platform::PlatformClient& c, int n, Totals& t) {
  platform::ExecutionRequest req{"proc-1", "atom-1", {{"BOOMI_SCHED_RUN_ID", "bench"}}, {}};
  for (int i = 0; i < n; ++i) {
    auto s = co_await c.submit(req);
    if (!s) {
      ++t.failures;
      continue;
    }
    auto p = co_await c.poll(s->request_id);
    if (!p || p->kind != platform::PollResult::Kind::record) ++t.failures;
    ++t.cycles;
  }
}

std::optional<std::filesystem::path> make_cert() {
  auto dir = std::filesystem::temp_directory_path() / "bsched-bench-client";
  std::filesystem::create_directories(dir);
  auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
             " -subj /CN=bench -addext subjectAltName=IP:127.0.0.1 -keyout '" +
             (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() +
             "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nullopt;
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = argc > 1 ? std::atoi(argv[1]) : 1000;
  int concurrency = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  bool tls = argc > 3 && std::atoi(argv[3]) != 0;

  sim::SimOptions so;
  so.pickup_delay = 0ms;
  so.run_duration = 0ms;
  std::optional<std::filesystem::path> certs;
  if (tls) {
    certs = make_cert();
    if (!certs) {
      fmt::print(stderr, "bench_client: openssl could not make a test certificate\n");
      return 1;
    }
    so.cert_file = (*certs / "cert.pem").string();
    so.key_file = (*certs / "key.pem").string();
  }
  SystemClock clock;
  asio::io_context sim_io;
  sim::Simulator sim(sim_io, clock, so);
  if (auto r = sim.start(); !r) {
    fmt::print(stderr, "bench_client: simulator: {}\n", r.error().message);
    return 1;
  }
  auto guard = asio::make_work_guard(sim_io);
  std::thread sim_thread([&] { sim_io.run(); });

  config::Platform p;
  p.account_id = so.account_id;
  p.base_url = sim.base_url();
  p.username = so.username;
  p.token = config::Secret(so.token);
  p.requests_per_second = 0;
  p.timeout = 10s;
  if (certs) p.ca_file = (*certs / "cert.pem").string();
  asio::io_context io;
  platform::TransportOptions to;
  to.timeout = p.timeout;
  to.ca_file = p.ca_file;
  to.max_idle_per_host = static_cast<std::size_t>(concurrency);
  SteadyTimerFactory timers(io);
  auto client = platform::make_platform_client(
      io, p, std::make_unique<platform::BeastTransport>(io, to), clock, timers);

  Totals totals;
  auto cpu0 = thread_cpu_seconds();
  auto t0 = std::chrono::steady_clock::now();
  for (int w = 0; w < concurrency; ++w)
    asio::co_spawn(io, worker(*client, cycles / concurrency, totals), asio::detached);
  io.run();
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double cpu = thread_cpu_seconds() - cpu0;

  asio::post(sim_io, [&] {
    sim.stop();
    guard.reset();
  });
  sim_thread.join();

  fmt::print("bench_client: {} cycles ({} submit + {} poll), concurrency {}, {}\n", totals.cycles,
             totals.cycles, totals.cycles, concurrency, tls ? "https" : "http");
  fmt::print("  wall {:.3f} s, {:.0f} cycles/s, {:.0f} requests/s\n", wall, totals.cycles / wall,
             2 * totals.cycles / wall);
  fmt::print("  client CPU {:.3f} s, {:.1f} ms per 1,000 cycles\n", cpu,
             totals.cycles ? cpu * 1000.0 * 1000.0 / totals.cycles : 0.0);
  fmt::print("  failures {}\n", totals.failures);
  return totals.failures == 0 ? 0 : 1;
}
