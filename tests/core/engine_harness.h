// An Engine on a real io_context with fake time, a scripted platform and SQLite :memory:.
// advance() moves the clock from timer deadline to timer deadline, running every handler
// that became ready, so a test reads like a timeline and never sleeps.
#pragma once

#include "tests/support/fake_clock.h"
#include "daemon/core/engine.h"
#include "storage/sqlite_run_store.h"
#include "tests/core/fake_platform_client.h"
#include "tests/support/fake_timers.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace bsched::test {

inline std::chrono::sys_seconds instant(const char* iso) { return *parse_instant(iso); }

// A job firing on `schedule` (UTC), with test-friendly defaults.
inline config::Job make_job(const std::string& name, const std::string& schedule) {
  config::Job j;
  j.name = name;
  auto s = config::Schedule::parse(schedule, name, utc_zone());
  REQUIRE_MESSAGE(s.has_value(), schedule);
  j.schedules.push_back(*s);
  j.process_id = "process-" + name;
  j.edit_settings().atom_id = "atom-1";
  j.edit_settings().timezone = "UTC";
  j.edit_settings().zone = utc_zone();
  j.edit_settings().dynamic_properties = {{"FROM", "${last_success_time}"},
                                          {"TO", "${scheduled_time}"}};
  return j;
}

inline std::shared_ptr<config::Config> make_config(std::vector<config::Job> jobs,
                                                   std::string fingerprint = "fp-1") {
  auto c = std::make_shared<config::Config>();
  std::sort(jobs.begin(), jobs.end(), [](auto& a, auto& b) { return a.name < b.name; });
  c->jobs = std::move(jobs);
  c->fingerprint = std::move(fingerprint);
  return c;
}

class EngineHarness {
 public:
  explicit EngineHarness(const char* start_iso = "2026-01-05T10:00:00Z")
      : clock(SysMillis(instant(start_iso))), timers(io, clock) {
    // Engine logs only when asked for (BSCHED_TEST_LOG=1), to keep test output readable.
    spdlog::set_level(std::getenv("BSCHED_TEST_LOG") ? spdlog::level::debug : spdlog::level::off);
    auto s = storage::SqliteRunStore::open(":memory:");
    REQUIRE(s.has_value());
    store = std::move(*s);
  }

  ~EngineHarness() {
    engine.reset();
    io.restart();
    io.poll();
  }

  // Builds the engine for `config` (replacing one built before) and starts it.
  void start(std::shared_ptr<const config::Config> config) { start_on(*store, std::move(config)); }

  // The same on another RunStore (a wrapper around `store`, e.g. FlakyStore).
  void start_on(storage::RunStore& on, std::shared_ptr<const config::Config> config) {
    core::EngineOptions options = this->options;
    options.timers = &timers;
    options.random = [] { return 0.5; };
    options.pid = 4242;
    engine = std::make_unique<core::Engine>(io, on, client, clock, std::move(config), options);
    bool done = false;
    Result<void> result;
    boost::asio::co_spawn(io, engine->start(), [&](std::exception_ptr e, Result<void> r) {
      REQUIRE(!e);
      result = r;
      done = true;
    });
    run_ready();
    REQUIRE(done);
    REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
  }

  void stop() {
    bool done = false;
    boost::asio::co_spawn(io, engine->stop(), [&](std::exception_ptr) { done = true; });
    run_ready();
    CHECK(done);
  }

  void run_ready() {
    io.restart();
    io.poll();
  }

  // Moves time forward by `d`, firing every timer on the way at its own instant.
  void advance(Millis d) {
    auto target = clock.steady_now() + d;
    run_ready();
    for (int guard = 0; guard < 1000000; ++guard) {
      auto next = timers.earliest();
      if (!next || *next > target) break;
      if (*next > clock.steady_now()) clock.advance(std::chrono::duration_cast<Millis>(*next - clock.steady_now()));
      timers.fire_due();
      run_ready();
    }
    if (target > clock.steady_now()) clock.advance(std::chrono::duration_cast<Millis>(target - clock.steady_now()));
    timers.fire_due();
    run_ready();
  }

  std::vector<storage::RunRow> runs(const std::string& job) {
    auto r = store->recent_runs(job, 100000);
    REQUIRE(r.has_value());
    return *r;
  }

  std::vector<storage::SlotGap> gaps(const std::string& job) {
    auto r = store->gaps(job, 1000);
    REQUIRE(r.has_value());
    return *r;
  }

  boost::asio::io_context io;
  core::EngineOptions options;  // start() fills in timers, random and pid
  FakeClock clock;
  FakeTimerFactory timers;
  std::unique_ptr<storage::SqliteRunStore> store;
  FakePlatformClient client;
  std::unique_ptr<core::Engine> engine;
};

// An operator command written to the store as the CLI would (the engine takes it on
// check_commands() or its periodic fallback).
inline void enqueue(EngineHarness& h, storage::CommandKind kind, const std::string& job,
                    const std::string& args = "{}") {
  storage::Command c;
  c.kind = kind;
  c.job = job;
  c.args_json = args;
  c.requested_by = "ops";
  c.requested_at = h.clock.now();
  REQUIRE(h.store->enqueue_command(c).has_value());
}

}  // namespace bsched::test
