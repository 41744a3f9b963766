// PreparedBurst: the runs written ahead of a burst's instant, by job.
#include "daemon/core/prepared_burst.h"

#include <doctest/doctest.h>

#include <memory>

using namespace bsched::core;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {
sys_seconds at(int s) { return sys_seconds(seconds(1'800'000'000 + s)); }

PreparedRun run_of(std::int64_t id) {
  PreparedRun p;
  p.run = std::make_shared<Tracked>();
  p.run->row.id = id;
  return p;
}
}  // namespace

TEST_SUITE("core::prepared_burst") {
  TEST_CASE("a run is taken only for its instant, once") {
    PreparedBurst b;
    CHECK_FALSE(b.instant());
    b.start(at(60));
    b.add("a", run_of(1));
    b.add("b", run_of(2));
    CHECK(b.size() == 2);
    CHECK_FALSE(b.take("a", at(120)));  // another slot of the job: not this burst
    auto a = b.take("a", at(60));
    REQUIRE(a);
    CHECK(a->run->row.id == 1);
    CHECK_FALSE(b.take("a", at(60)));  // taken already
    CHECK(b.size() == 1);
  }

  TEST_CASE("forgetting the runs keeps the instant; forgetting the burst drops both") {
    PreparedBurst b;
    b.start(at(60));
    b.add("a", run_of(1));
    b.forget_runs();
    CHECK(b.empty());
    CHECK(b.instant() == at(60));  // not prepared a second time
    b.start(at(120));
    CHECK(b.instant() == at(120));
    b.add("a", run_of(2));
    b.forget();
    CHECK(b.empty());
    CHECK_FALSE(b.instant());
  }
}
