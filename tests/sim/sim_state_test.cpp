// The simulator's model without a network or a clock: lifecycle instants, ids, fault
// decisions, the strict instant spelling, base64 and the faults control body.
#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_state.h"
#include "daemon/sim/sim_util.h"

#include <doctest/doctest.h>

namespace bsched::sim {

namespace {

SysMillis at(const char* instant) {
  return std::chrono::time_point_cast<Millis>(*parse_instant(instant));
}

}  // namespace

TEST_SUITE("sim::state") {

TEST_CASE("a run is pending until pickup, STARTED then INPROCESS, then terminal at its end") {
  SimOptions o;
  o.pickup_delay = Millis{1000};
  o.run_duration = Millis{2000};
  SimState state(o);
  const SysMillis t0 = at("2026-03-01T10:00:00Z");
  const SimRun& run = state.add_run("p", "a", t0);
  CHECK_FALSE(run_status_at(run, t0).has_value());
  CHECK_FALSE(run_status_at(run, t0 + Millis{999}).has_value());
  CHECK(run_status_at(run, t0 + Millis{1000}) == "STARTED");
  CHECK(run_status_at(run, t0 + Millis{1999}) == "STARTED");
  CHECK(run_status_at(run, t0 + Millis{2000}) == "INPROCESS");
  CHECK(run_status_at(run, t0 + Millis{2999}) == "INPROCESS");
  CHECK(run_status_at(run, t0 + Millis{3000}) == "COMPLETE");
  CHECK(state.recorded_runs(t0).empty());
  CHECK(state.recorded_runs(t0 + Millis{1000}).size() == 1);
}

TEST_CASE("the execution id carries the UTC date of the pickup, the request id a v4 uuid") {
  SimOptions o;
  o.pickup_delay = Millis{2000};
  SimState state(o);
  const SimRun& run = state.add_run("p", "a", at("2026-12-31T23:59:59Z"));
  CHECK(run.execution_id.starts_with("execution-"));
  CHECK(run.execution_id.ends_with("-2027.01.01"));
  const std::string uuid = run.request_id.substr(std::string("executionrecord-").size());
  REQUIRE(uuid.size() == 36);
  CHECK(uuid[14] == '4');
  CHECK(std::string("89ab").find(uuid[19]) != std::string::npos);
  CHECK(state.find_run(run.request_id) == &state.runs().back());
  CHECK(state.find_run("executionrecord-unknown") == nullptr);
}

TEST_CASE("a burst of 503s is consumed first, and only submits get faults when asked") {
  SimOptions o;
  o.faults.burst_503 = 2;
  o.faults.only_submits = true;
  SimState state(o);
  CHECK(state.decide_fault(false) == FaultKind::none);
  CHECK(state.decide_fault(true) == FaultKind::unavailable_503);
  CHECK(state.decide_fault(true) == FaultKind::unavailable_503);
  CHECK(state.decide_fault(true) == FaultKind::none);
}

TEST_CASE("a rate of 1 always faults and a rate of 0 never draws") {
  SimOptions o;
  o.faults.rate_reset_after_read = 1;
  SimState faulty(o);
  for (int i = 0; i < 20; ++i) CHECK(faulty.decide_fault(false) == FaultKind::reset);
  // Drawing for faults would shift the outcome sequence; with no faults it must not.
  SimOptions mix;
  mix.outcomes = OutcomeMix{1, 0, 1, 0, 0};
  SimState a(mix), b(mix);
  for (int i = 0; i < 5; ++i) a.decide_fault(true);
  for (int i = 0; i < 20; ++i) {
    CHECK(a.add_run("p", "x", SysMillis{}).outcome == b.add_run("p", "x", SysMillis{}).outcome);
  }
}

TEST_CASE("the account rate limit refuses requests past N within any one second") {
  SimOptions o;
  o.rate_limit_per_s = 3;
  SimState state(o);
  const SysMillis t0 = at("2026-03-01T10:00:00Z");
  CHECK_FALSE(state.over_rate_limit(t0));
  CHECK_FALSE(state.over_rate_limit(t0 + Millis{100}));
  CHECK_FALSE(state.over_rate_limit(t0 + Millis{200}));
  CHECK(state.over_rate_limit(t0 + Millis{300}));
  CHECK(state.over_rate_limit(t0 + Millis{999}));
  CHECK_FALSE(state.over_rate_limit(t0 + Millis{1000}));  // the first one left the window
  CHECK(state.over_rate_limit(t0 + Millis{1050}));
  SimState unlimited{SimOptions{}};
  for (int i = 0; i < 100; ++i) CHECK_FALSE(unlimited.over_rate_limit(t0));
}

TEST_CASE("only YYYY-MM-DDTHH:MM:SSZ with a real date and time is a strict instant") {
  CHECK(parse_strict_instant("2026-01-31T23:59:59Z") == parse_instant("2026-01-31T23:59:59Z").value());
  for (const char* bad : {"2026-01-31T23:59:59", "2026-01-31T23:59:59.000Z", "2026-01-31 23:59:59Z",
                          "2026-02-29T00:00:00Z", "2026-01-31T24:00:00Z", "2026-1-31T23:59:59Z",
                          "2026-01-31T23:59:59+00:00", ""}) {
    CHECK_FALSE_MESSAGE(parse_strict_instant(bad).has_value(), bad);
  }
  CHECK(format_instant(at("2026-01-31T23:59:59Z") + Millis{999}) == "2026-01-31T23:59:59Z");
}

TEST_CASE("base64 decodes padded text and refuses anything else") {
  CHECK(base64_decode("dXNlcjp0b2tlbg==") == "user:token");
  CHECK(base64_decode("YWJj") == "abc");
  CHECK(base64_decode("YWI=") == "ab");
  CHECK_FALSE(base64_decode("YWJ").has_value());
  CHECK_FALSE(base64_decode("Y=Jj").has_value());
  CHECK_FALSE(base64_decode("YW!j").has_value());
  CHECK(base64url("\xfb\xff") == "-_8");
  CHECK(base64url("abc") == "YWJj");
}

TEST_CASE("the faults control body sets the named fields and keeps defaults for the rest") {
  auto f = faults_from_json(R"({"rate_429": 0.25, "retry_after_s": 3, "slow": 1500,)"
                            R"( "async_expiry": "30m", "only_submits": true})");
  REQUIRE(f.has_value());
  CHECK(f->rate_429 == 0.25);
  CHECK(f->retry_after_s == 3);
  CHECK(f->slow == Millis{1500});
  CHECK(f->async_expiry == Millis{30 * 60 * 1000});
  CHECK(f->only_submits);
  CHECK(f->rate_503 == 0);
  CHECK(f->burst_503 == 0);
  CHECK(faults_from_json("{}").has_value());
  CHECK(faults_from_json(R"({"rate_500": 1.5})").error().message.find("rate_500") != std::string::npos);
}

}  // TEST_SUITE

}  // namespace bsched::sim
