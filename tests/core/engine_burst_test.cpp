// A burst (more jobs due on one instant than one planning batch) goes out in batches at its
// instant. What the platform sees: requests sent at the instant, built from the
// configuration and state of the instant, each slot once — across reloads, pauses, stops,
// refused commits and crashes just before it.
#include "tests/core/counting_store.h"
#include "tests/core/engine_harness.h"

using namespace bsched;
using namespace bsched::test;
using storage::RunState;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::vector<config::Job> hourly_jobs(int n) {
  std::vector<config::Job> jobs;
  for (int i = 0; i < n; ++i) jobs.push_back(make_job(fmt::format("job-{:03}", i), "0 * * * *"));
  return jobs;
}

}  // namespace

TEST_SUITE("core::engine") {
  TEST_CASE("a burst fires at its instant, once per job, with fresh run ids each time") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.start(make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));  // 10:59:59.5
    CHECK(h.client.submits.empty());
    CHECK(h.runs("job-000").empty());
    h.advance(milliseconds(500));
    REQUIRE(h.client.submits.size() == 100);
    std::set<std::string> run_ids;
    for (std::size_t i = 0; i < 100; ++i) {
      CHECK(h.client.property(i, "TO") == "2026-01-05T11:00:00Z");
      run_ids.insert(h.client.property(i, "BOOMI_SCHED_RUN_ID"));
    }
    CHECK(run_ids.size() == 100);
    auto runs = h.runs("job-042");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].created_at == SysMillis(instant("2026-01-05T11:00:00Z")));
    CHECK(runs[0].submitting_at == SysMillis(instant("2026-01-05T11:00:00Z")));
    CHECK(runs[0].state == RunState::submitted);
    CHECK(run_ids.count(runs[0].run_id) == 1);
    CHECK(h.store->job_state("job-042")->horizon == instant("2026-01-05T11:00:00Z"));
    // The next hour's burst, with fresh run ids.
    h.advance(std::chrono::hours(1));
    REQUIRE(h.client.submits.size() == 200);
    CHECK(run_ids.count(h.client.property(150, "BOOMI_SCHED_RUN_ID")) == 0);
  }

  TEST_CASE("a reload just before a burst's instant fires with the new configuration") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.start(make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));
    auto jobs = hourly_jobs(100);
    for (auto& j : jobs) j.edit_settings().dynamic_properties = {{"REGION", "eu"}};
    h.engine->reload(make_config(std::move(jobs), "fp-2"));
    h.advance(milliseconds(500));
    REQUIRE(h.client.submits.size() == 100);
    for (std::size_t i = 0; i < 100; ++i) {
      CHECK(h.client.property(i, "REGION") == "eu");
      CHECK(h.client.property(i, "TO") == "");
    }
    CHECK(h.runs("job-050").size() == 1);
  }

  TEST_CASE("a crash just before a burst's instant: each slot leaves at its instant, once") {
    EngineHarness h("2026-01-05T10:59:50Z");
    auto config = make_config(hourly_jobs(100));
    h.start(config);
    h.advance(milliseconds(9500));
    h.start(config);  // the engine is gone without stopping; a new one resumes the store
    h.advance(milliseconds(400));
    CHECK(h.client.submits.empty());  // not before the slot
    h.advance(milliseconds(100));
    REQUIRE(h.client.submits.size() == 100);
    std::set<std::string> sent;
    for (std::size_t i = 0; i < 100; ++i) sent.insert(h.client.property(i, "BOOMI_SCHED_RUN_ID"));
    CHECK(sent.size() == 100);
    for (int i = 0; i < 100; i += 33) {
      auto runs = h.runs(fmt::format("job-{:03}", i));
      REQUIRE(runs.size() == 1);
      CHECK(sent.count(runs[0].run_id) == 1);
      CHECK(runs[0].created_at == SysMillis(instant("2026-01-05T11:00:00Z")));
    }
    h.advance(seconds(5));
    CHECK(h.client.submits.size() == 100);
  }

  TEST_CASE("a job paused or removed while the daemon is down just before a burst has no run, the rest fire") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.start(make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));
    // While it is down: job-007 paused from the command line, job-099 removed from the config.
    REQUIRE(h.store->set_paused("job-007", true, "", "ops", h.clock.now()).has_value());
    h.start(make_config(hourly_jobs(99)));
    CHECK(h.runs("job-007").empty());
    CHECK(h.runs("job-099").empty());
    h.advance(milliseconds(500));
    CHECK(h.client.submits.size() == 98);
    auto gaps = h.gaps("job-007");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].reason == "paused");
    CHECK(h.runs("job-099").empty());
    CHECK(h.runs("job-098").size() == 1);
  }

  TEST_CASE("a refused commit at the instant keeps every slot: each leaves once on the retry") {
    EngineHarness h("2026-01-05T10:59:50Z");
    CountingStore counting(*h.store);
    h.start_on(counting, make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));
    counting.refuse_next_commit = true;  // the instant's first batch
    h.advance(milliseconds(500));
    CHECK_FALSE(counting.refuse_next_commit);
    CHECK(h.client.submits.empty());
    h.advance(seconds(2));
    REQUIRE(h.client.submits.size() == 100);
    std::set<std::string> jobs;
    for (const auto& s : h.client.submits) jobs.insert(s.process_id);
    CHECK(jobs.size() == 100);
    for (int i = 0; i < 100; i += 25) {
      auto runs = h.runs(fmt::format("job-{:03}", i));
      REQUIRE(runs.size() == 1);
      CHECK(runs[0].state == RunState::submitted);
    }
  }

  TEST_CASE("a stop just before a burst's instant leaves no run, the restart catches the slot up") {
    EngineHarness h("2026-01-05T10:59:50Z");
    auto config = make_config(hourly_jobs(100));
    h.start(config);
    h.advance(milliseconds(9500));
    h.stop();
    CHECK(h.runs("job-000").empty());
    h.advance(seconds(10));  // 11:00:09.5, the daemon down past the on-time grace
    h.start(config);
    REQUIRE(h.client.submits.size() == 100);
    auto runs = h.runs("job-007");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].trigger == storage::Trigger::catchup);
  }

  TEST_CASE("a burst's slots of jobs with a run in flight follow their overlap policy: allow, skip, queue") {
    EngineHarness h("2026-01-05T10:59:50Z");
    auto jobs = hourly_jobs(100);
    jobs[1].edit_settings().overlap = config::Overlap::allow;
    jobs[2].edit_settings().overlap = config::Overlap::queue;
    h.start(make_config(std::move(jobs)));
    for (const char* job : {"job-000", "job-001", "job-002"}) enqueue(h, storage::CommandKind::trigger, job);
    h.engine->check_commands();
    h.advance(milliseconds(9500));  // the manual runs are in flight (polls pending)
    h.advance(milliseconds(500));
    CHECK(h.client.submits.size() == 3 + 98);  // manual runs, then job-000 skipped, job-002 queued
    CHECK(h.runs("job-001").size() == 2);
    auto queued = h.runs("job-002");
    REQUIRE(queued.size() == 2);
    CHECK(h.gaps("job-000").size() == 1);
  }

  TEST_CASE("a run started just before a burst's instant: its job's slot follows its overlap policy") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.start(make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));
    // A manual run of job-003 is in flight at the instant: overlap skip records its slot skipped.
    enqueue(h, storage::CommandKind::trigger, "job-003");
    h.engine->check_commands();
    h.advance(milliseconds(500));
    CHECK(h.client.submits.size() == 100);  // 99 slots and the manual run
    auto runs = h.runs("job-003");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].trigger == storage::Trigger::manual);
    auto gaps = h.gaps("job-003");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].kind == RunState::skipped);
  }

  TEST_CASE("a job paused just before a burst's instant misses its slot, the rest fire") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.start(make_config(hourly_jobs(100)));
    h.advance(milliseconds(9500));
    enqueue(h, storage::CommandKind::pause, "job-007");
    h.engine->check_commands();
    h.advance(milliseconds(500));
    CHECK(h.client.submits.size() == 99);
    CHECK(h.runs("job-007").empty());
    auto gaps = h.gaps("job-007");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].reason == "paused");
    CHECK(h.runs("job-008").size() == 1);
  }

  TEST_CASE("a success just before a burst's instant is in ${last_success_time}") {
    EngineHarness h("2026-01-05T10:59:50Z");
    h.client.poll_default = record_answer("COMPLETE");
    auto jobs = hourly_jobs(100);
    jobs[0].edit_settings().poll.initial = milliseconds(100);
    jobs[0].edit_settings().overlap = config::Overlap::allow;
    h.start(make_config(std::move(jobs)));
    h.advance(milliseconds(9500));
    // A manual run of job-000 completes before the instant: its slot is the last success.
    enqueue(h, storage::CommandKind::trigger, "job-000");
    h.engine->check_commands();
    h.advance(milliseconds(300));
    auto st = h.store->job_state("job-000");
    REQUIRE(st.has_value());
    REQUIRE(st->last_success_slot.has_value());
    h.advance(milliseconds(200));
    REQUIRE(h.client.submits.size() == 101);
    std::string from;
    for (std::size_t i = 1; i < h.client.submits.size(); ++i) {
      if (h.client.submits[i].process_id == "process-job-000") from = h.client.property(i, "FROM");
    }
    CHECK(from == format_utc(*st->last_success_slot));
  }
}
