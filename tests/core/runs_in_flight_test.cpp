// RunsInFlight: the runs tracked, by id and by job, and the execution ids they hold.
#include "daemon/core/runs_in_flight.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

using namespace bsched;
using namespace bsched::core;
using storage::RunState;
using std::chrono::seconds;

namespace {

SysMillis t(int s) { return SysMillis(seconds(1'800'000'000 + s)); }

struct Fixture {
  config::Job job_a, job_b, other_process;
  RunsInFlight runs;

  Fixture() {
    job_a.name = "a";
    job_a.process_id = "p1";
    job_b.name = "b";
    job_b.process_id = "p1";  // same process and runtime as a
    other_process.name = "c";
    other_process.process_id = "p2";
  }

  std::shared_ptr<Tracked> add(std::int64_t id, const config::Job& job, RunState state,
                               int sent_s, bool held = false) {
    auto r = std::make_shared<Tracked>();
    r->row.id = id;
    r->row.job = job.name;
    r->row.state = state;
    r->row.created_at = t(sent_s);
    r->row.submitting_at = t(sent_s);
    r->row.last_sent_at = t(sent_s);
    r->row.maybe_accepted = state == RunState::submitting;
    r->job = &job;
    r->wait = held ? Tracked::Wait::queued : Tracked::Wait::none;
    runs.add(r);
    return r;
  }
};

}  // namespace

TEST_SUITE("core::runs_in_flight") {
  TEST_CASE("the oldest run not queued is the job's run in flight, a queued one waits behind") {
    Fixture f;
    CHECK_FALSE(f.runs.oldest_active("a"));
    CHECK_FALSE(f.runs.has_held("a"));
    auto first = f.add(7, f.job_a, RunState::submitted, 0);
    auto waiting = f.add(9, f.job_a, RunState::scheduled, 0, true);
    f.add(8, f.job_b, RunState::submitted, 0);
    CHECK(f.runs.oldest_active("a") == 7);
    CHECK(f.runs.first_held("a") == waiting);
    CHECK(f.runs.size() == 3);
    f.runs.remove(*first);
    CHECK_FALSE(f.runs.oldest_active("a"));  // only the queued run is left
    CHECK(f.runs.has_held("a"));
    f.runs.remove(*waiting);
    CHECK_FALSE(f.runs.has_held("a"));
    CHECK(f.runs.oldest_active("b") == 8);
    CHECK(f.runs.size() == 1);
  }

  TEST_CASE("a run's rivals: earlier sends of its process that may own a record, and later runs learning theirs by request") {
    Fixture f;
    f.add(1, f.job_a, RunState::submitting, 0);       // earlier, uncertain: a rival
    f.add(2, f.other_process, RunState::submitting, 0);  // another process: not a rival
    auto tied = f.add(3, f.job_b, RunState::running, 1);  // tied to its record: not a rival
    tied->row.execution_id = "execution-3";
    auto later = f.add(5, f.job_b, RunState::submitting, 20);  // sent later, reconciling
    later->mode = RunAction::query;
    auto me = f.add(4, f.job_b, RunState::submitting, 10);
    me->mode = RunAction::query;
    auto rivals = f.runs.rivals(*me);
    REQUIRE(rivals.size() == 1);
    CHECK(rivals[0].from == t(0) - k_match_skew);
    // The later run polls by its requestId: its record is its own, so it is a rival too.
    later->row.state = RunState::submitted;
    later->row.request_id = "executionrecord-5";
    later->mode = RunAction::poll;
    rivals = f.runs.rivals(*me);
    REQUIRE(rivals.size() == 2);
    CHECK(rivals[1].from == t(20) - k_match_skew);
    me->row.execution_id = "execution-4";  // a run that knows its record has no rival
    CHECK(f.runs.rivals(*me).empty());
  }

  TEST_CASE("claims older than every run in flight's reconcile window are forgotten") {
    Fixture f;
    f.runs.claim("old", t(0));
    f.runs.claim("recent", t(1000));
    f.add(1, f.job_a, RunState::submitted, 900);
    f.runs.forget_old_claims(t(2000));
    // The window of the run sent at 900 opens at 900 - 2 × margin: "old" (0) is before it.
    CHECK(f.runs.claimed().count("old") == 0);
    CHECK(f.runs.claimed().count("recent") == 1);
    CHECK(f.runs.claim_count() == 1);
  }
}
