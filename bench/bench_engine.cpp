// Benchmark of the scheduler engine (daemon/core):
//  1. the slot planner: a month of missed per-second slots planned into one gap;
//  2. a burst: N jobs due at the same second, on a real clock and real timers, with a
//     file-backed SqliteRunStore (synchronous=FULL) and an instant in-process platform
//     client: how late the batch of run rows is written, how late each trigger reaches the
//     client (p50/p99/max), and how long until every run has its requestId stored;
//  3. with rounds > 1: the same jobs due every 2 s for that many rounds (steady load).
// Throughout, the event loop's lag: how late a 5 ms ticker on the same loop wakes (what a
// platform poll or an HTTP request waiting on the loop would see).
//
//   build/bench_engine [jobs=1000] [rounds=1] [postgres-conninfo [thread]]
//
// With a conninfo the store is PostgreSQL (an empty database); `thread` sets
// EngineOptions::commit_thread, as the daemon does on PostgreSQL.
//
// Results: docs/benchmarks.md.
#include "daemon/core/engine.h"
#include "daemon/core/job_slots.h"
#include "daemon/core/slot_planner.h"
#include "storage/pg/pg_run_store.h"
#include "storage/sqlite_run_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

using namespace bsched;
using Stopwatch = std::chrono::steady_clock;

namespace {

// Answers every submit at once; polls stay pending (the bench ends before they matter).
class InstantClient final : public platform::PlatformClient {
 public:
  int submits = 0;
  std::vector<SysMillis> sent;  // when each request reached the client
  boost::asio::awaitable<platform::CallResult<platform::SubmitResult>> submit(
      const platform::ExecutionRequest&, SendGate = {}) override {
    sent.push_back(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()));
    co_return platform::SubmitResult{fmt::format("executionrecord-{}", ++submits)};
  }
  boost::asio::awaitable<platform::CallResult<platform::PollResult>> poll(const std::string&) override {
    co_return platform::PollResult{};
  }
  boost::asio::awaitable<platform::CallResult<std::vector<platform::ExecutionRecord>>> query(
      const platform::RecordQuery&) override {
    co_return std::vector<platform::ExecutionRecord>{};
  }
  platform::PlatformHealth health() const override { return {}; }
  void reset_auth() override {}
};

void bench_planner() {
  config::Job job;
  job.name = "per-second";
  job.schedules.push_back(*config::Schedule::parse("* * * * * *", job.name, utc_zone()));
  core::JobSlots slots(job);
  auto from = *parse_instant("2026-01-01T00:00:00Z");
  auto now = SysMillis(*parse_instant("2026-01-31T00:00:00Z"));
  auto t0 = Stopwatch::now();
  auto plan = core::plan_due_slots(slots, job.name, core::catchup_policy(job), from, now,
                                   core::k_reason_daemon_down);
  auto ms = std::chrono::duration<double, std::milli>(Stopwatch::now() - t0).count();
  fmt::print("planner: {} missed per-second slots -> {} gap row(s), {} fired, {:.0f} ms ({:.0f} ns/slot)\n",
             plan.missed_count, plan.gaps.size(), plan.fire.size(), ms,
             ms * 1e6 / static_cast<double>(plan.missed_count + 1));
}

// N jobs due at `slot` (rounds == 1) or every 2 s from `slot` on (rounds > 1).
std::shared_ptr<config::Config> burst_config(int jobs, std::chrono::sys_seconds slot, int rounds) {
  auto hms = date::make_time(slot - date::floor<date::days>(slot));
  auto expr = rounds > 1 ? std::string("*/2 * * * * *")
                         : fmt::format("{} {} {} * * *", hms.seconds().count(),
                                       hms.minutes().count(), hms.hours().count());
  auto config = std::make_shared<config::Config>();
  for (int i = 0; i < jobs; ++i) {
    config::Job j;
    j.name = fmt::format("job-{:05}", i);
    j.schedules.push_back(*config::Schedule::parse(expr, j.name, utc_zone()));
    j.process_id = "p";
    j.edit_settings().atom_id = "a";
    j.edit_settings().zone = utc_zone();
    j.edit_settings().overlap =
        config::Overlap::allow;  // runs stay in flight (polls pending): fire anyway
    config->jobs.push_back(std::move(j));
  }
  return config;
}

// Each trigger's lateness: from its slot (the latest 2 s step at or before it when
// repeating) to the moment the request reached the client.
void report_triggers(const InstantClient& client, std::chrono::sys_seconds slot, int rounds) {
  std::vector<double> late;
  for (auto t : client.sent) {
    auto d = (t - SysMillis(slot)).count();
    if (rounds > 1) d = (d % 2000 + 2000) % 2000;
    late.push_back(static_cast<double>(d));
  }
  if (late.empty()) return;
  std::sort(late.begin(), late.end());
  auto at = [&](double q) { return late[std::min(late.size() - 1, static_cast<size_t>(q * static_cast<double>(late.size())))]; };
  fmt::print("triggers: {} sent; slot to client: first {:.0f} ms, p50 {:.0f} ms, p99 {:.0f} ms, "
             "max {:.0f} ms\n",
             late.size(), late.front(), at(0.5), at(0.99), late.back());
}

// SQLite in `dir`, or PostgreSQL at `conninfo`.
storage::StoreResult<std::unique_ptr<storage::StateStore>> open_store(
    const std::filesystem::path& dir, const std::string& conninfo) {
  if (conninfo.empty()) {
    auto s = storage::SqliteRunStore::open((dir / "state.db").string());
    if (!s) return s.error();
    return std::unique_ptr<storage::StateStore>(std::move(*s));
  }
  auto s = storage::pg::PgRunStore::open(conninfo);
  if (!s) return s.error();
  return std::unique_ptr<storage::StateStore>(std::move(*s));
}

void report_lag(std::string_view when, std::vector<double> lag) {
  if (lag.empty()) return;
  std::sort(lag.begin(), lag.end());
  fmt::print("event loop {}: {} ticks of 5 ms; lag p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n",
             when, lag.size(), lag[lag.size() / 2], lag[lag.size() * 99 / 100], lag.back());
}

int bench_burst(int jobs, int rounds, const std::string& conninfo, bool commit_thread) {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("bench-engine-{}", ::getpid());
  std::filesystem::create_directories(dir);
  auto store = open_store(dir, conninfo);
  if (!store) {
    fmt::print(stderr, "cannot open the store: {}\n", store.error().message);
    return 1;
  }
  SystemClock clock;
  auto slot = std::chrono::ceil<std::chrono::seconds>(clock.now()) + std::chrono::seconds(10);
  if (rounds > 1 && slot.time_since_epoch().count() % 2 != 0) slot += std::chrono::seconds(1);
  auto config = burst_config(jobs, slot, rounds);
  boost::asio::io_context io;
  InstantClient client;
  core::Engine engine(io, **store, client, clock, config,
                      core::EngineOptions{.commit_thread = commit_thread});
  // The loop's lag while the engine starts (the new jobs' rows written, up to 1 s before the
  // first slot) and while it fires, apart: a start writes every new job's horizon at once.
  auto t_slot = Stopwatch::now() + std::chrono::duration_cast<Stopwatch::duration>(SysMillis(slot) - clock.now());
  std::vector<double> lag, start_lag;
  bool stopping = false;
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    boost::asio::steady_timer t(io);
    auto next = Stopwatch::now();
    while (!stopping) {
      next += std::chrono::milliseconds(5);
      t.expires_at(next);
      co_await t.async_wait(boost::asio::use_awaitable);
      auto late = std::chrono::duration<double, std::milli>(Stopwatch::now() - next).count();
      (next < t_slot - std::chrono::seconds(1) ? start_lag : lag).push_back(late);
    }
  }, boost::asio::detached);
  auto t_start = Stopwatch::now();
  boost::asio::co_spawn(io, engine.start(), [&](std::exception_ptr, Result<void>) {
    fmt::print("start: {} new jobs ready in {:.0f} ms\n", jobs,
               std::chrono::duration<double, std::milli>(Stopwatch::now() - t_start).count());
  });
  boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
    boost::asio::steady_timer t(io);
    while (client.submits < jobs * rounds) {
      t.expires_after(std::chrono::milliseconds(1));
      co_await t.async_wait(boost::asio::use_awaitable);
    }
    // Let the last transitions (requestId) be written.
    t.expires_after(std::chrono::milliseconds(200));
    co_await t.async_wait(boost::asio::use_awaitable);
    co_await engine.stop();
    stopping = true;
    io.stop();
  }, boost::asio::detached);
  io.run();
  auto done = Stopwatch::now();
  report_triggers(client, slot, rounds);
  report_lag("while starting", std::move(start_lag));
  report_lag("while firing", std::move(lag));
  if (rounds > 1) {
    std::filesystem::remove_all(dir);
    return 0;
  }
  std::vector<double> late;
  SysMillis last_submitted{};
  for (const auto& j : config->jobs) {
    auto runs = (*store)->recent_runs(j.name, 1);
    if (!runs || runs->empty()) continue;
    late.push_back(static_cast<double>((runs->front().created_at - SysMillis(slot)).count()));
    if (runs->front().submitted_at) last_submitted = std::max(last_submitted, *runs->front().submitted_at);
  }
  std::sort(late.begin(), late.end());
  fmt::print("burst: {} jobs due at {}: {} runs; run row written {:.0f} ms (p50) / {:.0f} ms (max) "
             "after the slot; last requestId stored {} ms after the slot; wall {:.0f} ms\n",
             jobs, format_utc(slot), late.size(), late.empty() ? 0.0 : late[late.size() / 2],
             late.empty() ? 0.0 : late.back(), (last_submitted - SysMillis(slot)).count(),
             std::chrono::duration<double, std::milli>(done - t_slot).count());
  std::filesystem::remove_all(dir);
  return late.size() == static_cast<size_t>(jobs) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::off);
  int jobs = argc > 1 ? std::atoi(argv[1]) : 1000;
  int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 1;
  bench_planner();
  std::string conninfo = argc > 3 ? argv[3] : "";
  bool commit_thread = argc > 4 && std::string(argv[4]) == "thread";
  return bench_burst(jobs, rounds, conninfo, commit_thread);
}
