// The platform client's metrics: every exchange by operation and answer, its duration, and
// the time spent waiting for the pace or a throttled answer's back-off.
#include "tests/platform/client_fixture.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;

namespace {

ClientOptions with_registry(const std::shared_ptr<metrics::Registry>& r) {
  ClientOptions o;
  o.metrics = r;
  o.backoff_initial = std::chrono::seconds(1);
  return o;
}

}  // namespace

TEST_SUITE("platform::request_metrics") {
  TEST_CASE("exchanges are counted by operation and HTTP status, failures without one as no_answer") {
    auto registry = std::make_shared<metrics::Registry>();
    ClientFixture f(test_platform(), with_registry(registry));
    f.fake->push(response(200, R"({"requestId":"executionrecord-1"})"));
    f.fake->push(response(202, ""));
    f.fake->push(transport_error(TransportError::Kind::connect, TransportError::Sent::no));
    f.fake->push(response(200, k_record_answer));
    REQUIRE(f.run(f.client->submit(sample_request())));
    auto pending = f.run(f.client->poll("executionrecord-1"));
    REQUIRE(pending);
    auto done = f.run(f.client->poll("executionrecord-1"));  // a refused connection, retried
    REQUIRE(done);
    auto& requests = registry->counter("boomi_sched_platform_requests_total", "", {"operation", "code"});
    CHECK(requests.value({"POST ExecutionRequest", "200"}) == 1);
    CHECK(requests.value({"GET ExecutionRecord/async", "202"}) == 1);
    CHECK(requests.value({"GET ExecutionRecord/async", "no_answer"}) == 1);
    CHECK(requests.value({"GET ExecutionRecord/async", "200"}) == 1);
    auto& duration = registry->histogram("boomi_sched_platform_request_duration_seconds", "",
                                         {"operation"}, {});
    REQUIRE(duration.find({"GET ExecutionRecord/async"}) != nullptr);
    CHECK(duration.find({"GET ExecutionRecord/async"})->count == 3);
  }

  TEST_CASE("throttle wait adds the pace's waits and a 429's Retry-After back-off") {
    auto registry = std::make_shared<metrics::Registry>();
    ClientFixture f(test_platform(1), with_registry(registry));  // one call a second
    f.fake->push(response(429, "", {{"Retry-After", "3"}}));
    f.fake->fallback = [](const HttpRequest&) { return SendResult(response(202, "")); };
    int finished = 0;
    for (int i = 0; i < 2; ++i) {
      boost::asio::co_spawn(
          f.io, [&]() -> boost::asio::awaitable<void> { (void)co_await f.client->poll("r"); ++finished; },
          boost::asio::detached);
    }
    drive(f.io, f.timers, [&] { return finished == 2; });
    auto& wait = registry->counter("boomi_sched_platform_throttle_wait_seconds_total", "");
    // The 429 backs off at least 3 s; the second poll waits 1 s for its pace slot, and its
    // retry again for the slot after the other's.
    CHECK(wait.value({}) >= 4.0);
    CHECK(wait.value({}) < 10.0);
    auto& requests = registry->counter("boomi_sched_platform_requests_total", "", {"operation", "code"});
    CHECK(requests.value({"GET ExecutionRecord/async", "429"}) == 1);
    CHECK(requests.value({"GET ExecutionRecord/async", "202"}) == 2);
  }

  TEST_CASE("the schedule calls are named by method and object, never by an id") {
    auto registry = std::make_shared<metrics::Registry>();
    ClientFixture f(test_platform(), with_registry(registry));
    f.fake->push(response(200, "{}"));
    auto answer = f.run(f.client->rest_exchange("GET", "/ProcessScheduleStatus/abc-123", "", ""));
    REQUIRE(answer.has_value());
    auto& requests = registry->counter("boomi_sched_platform_requests_total", "", {"operation", "code"});
    CHECK(requests.value({"GET ProcessScheduleStatus", "200"}) == 1);
    CHECK(registry->render().find("abc-123") == std::string::npos);
  }
}
