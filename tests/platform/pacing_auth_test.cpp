#include "tests/platform/client_fixture.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace bsched::platform::test;

namespace {

// Spawns `n` polls and one submit at the same instant; drives until all are answered.
void spawn_polls_then_submit(ClientFixture& f, int n, int& finished) {
  for (int i = 0; i < n; ++i)
    boost::asio::co_spawn(
        f.io, [&]() -> boost::asio::awaitable<void> { (void)co_await f.client->poll("r"); ++finished; },
        boost::asio::detached);
  boost::asio::co_spawn(
      f.io,
      [&]() -> boost::asio::awaitable<void> {
        (void)co_await f.client->submit(sample_request());
        ++finished;
      },
      boost::asio::detached);
}

}  // namespace

TEST_SUITE("platform::pacing") {
  TEST_CASE("calls are spaced by the configured rate") {
    ClientFixture f(test_platform(4));
    f.fake->fallback = [](const HttpRequest&) { return SendResult(response(202, "")); };
    int finished = 0;
    for (int i = 0; i < 6; ++i)
      boost::asio::co_spawn(
          f.io, [&]() -> boost::asio::awaitable<void> { (void)co_await f.client->poll("r"); ++finished; },
          boost::asio::detached);
    drive(f.io, f.timers, [&] { return finished == 6; });
    REQUIRE(f.fake->sent.size() == 6);
    for (size_t i = 1; i < 6; ++i)
      CHECK(f.fake->sent[i].at - f.fake->sent[i - 1].at >= std::chrono::milliseconds{250});
    CHECK(f.fake->sent[5].at - f.fake->sent[0].at < std::chrono::milliseconds{1300});
  }

  // A node of a pair passes its lease check as the gate: a trigger that waited for the pace
  // while the lease lapsed must not leave (it would leave after the lease could pass on).
  TEST_CASE("a trigger is withheld when its send gate closes while it waits for the pace") {
    ClientFixture f(test_platform(1));
    f.fake->fallback = [](const HttpRequest&) {
      return SendResult(response(200, R"({"requestId":"executionrecord-1"})"));
    };
    bool lease = true;
    int asked = 0;
    std::vector<CallResult<SubmitResult>> answers;
    for (int i = 0; i < 2; ++i) {
      boost::asio::co_spawn(
          f.io,
          [&]() -> boost::asio::awaitable<void> {
            answers.push_back(co_await f.client->submit(sample_request(), [&] {
              ++asked;
              return lease;
            }));
          },
          boost::asio::detached);
    }
    f.io.restart();
    f.io.poll();  // the first leaves at once; the second waits a second for the pace
    REQUIRE(f.fake->sent.size() == 1);
    lease = false;
    drive(f.io, f.timers, [&] { return answers.size() == 2; });
    CHECK(f.fake->sent.size() == 1);  // the second never left
    CHECK(asked == 2);
    REQUIRE(answers[0].has_value());
    REQUIRE_FALSE(answers[1].has_value());
    CHECK(answers[1].error().kind == FailureKind::withheld);
    CHECK_FALSE(f.client->health().auth_failed);
  }

  TEST_CASE("a waiting trigger goes before polls that waited longer") {
    ClientFixture f(test_platform(2));
    f.fake->fallback = [](const HttpRequest& r) {
      return SendResult(r.method == "POST" ? response(200, R"({"requestId":"executionrecord-1"})")
                                           : response(202, ""));
    };
    int finished = 0;
    spawn_polls_then_submit(f, 4, finished);
    drive(f.io, f.timers, [&] { return finished == 5; });
    REQUIRE(f.fake->sent.size() == 5);
    // The first poll found the pace free; the trigger overtook the three waiting polls.
    CHECK(f.fake->sent[0].request.method == "GET");
    CHECK(f.fake->sent[1].request.method == "POST");
    for (size_t i = 2; i < 5; ++i) CHECK(f.fake->sent[i].request.method == "GET");
  }

  TEST_CASE("reconcile queries and each queryMore page take slots of the same pace as polls") {
    ClientFixture f(test_platform(4));
    f.fake->fallback = [](const HttpRequest& r) {
      if (r.url.ends_with("/ExecutionRecord/query"))
        return SendResult(response(200, R"({"result":[],"queryToken":"T1"})"));
      if (r.url.ends_with("/ExecutionRecord/queryMore"))
        return SendResult(response(200, R"({"result":[]})"));
      return SendResult(response(202, ""));
    };
    int finished = 0;
    const RecordQuery q{"p", "a", {}, {}};
    for (int i = 0; i < 2; ++i) {
      boost::asio::co_spawn(
          f.io, [&]() -> boost::asio::awaitable<void> { (void)co_await f.client->poll("r"); ++finished; },
          boost::asio::detached);
      boost::asio::co_spawn(
          f.io,
          [&]() -> boost::asio::awaitable<void> {
            auto r = co_await f.client->query(q);
            CHECK(r.has_value());
            ++finished;
          },
          boost::asio::detached);
    }
    drive(f.io, f.timers, [&] { return finished == 4; });
    REQUIRE(f.fake->sent.size() == 6);  // 2 polls, 2 queries, 2 queryMore pages
    for (size_t i = 1; i < f.fake->sent.size(); ++i)
      CHECK(f.fake->sent[i].at - f.fake->sent[i - 1].at >= std::chrono::milliseconds{250});
  }

  TEST_CASE("the default pace stays under the five requests per second of the published API") {
    CHECK(config::Platform{}.requests_per_second > 0);
    CHECK(config::Platform{}.requests_per_second <= 5);
  }

  TEST_CASE("unpaced calls go out at once") {
    ClientFixture f(test_platform(0));
    f.fake->fallback = [](const HttpRequest&) { return SendResult(response(202, "")); };
    int finished = 0;
    spawn_polls_then_submit(f, 3, finished);
    drive(f.io, f.timers, [&] { return finished == 4; });
    REQUIRE(f.fake->sent.size() == 4);
    CHECK(f.fake->sent[3].at == f.fake->sent[0].at);
  }
}

TEST_SUITE("platform::auth_circuit") {
  TEST_CASE("after a 401 calls fail fast without touching the network") {
    ClientFixture f;
    f.fake->push(response(401, R"({"@type":"Error","message":"bad credentials"})"));
    auto first = f.run(f.client->submit(sample_request()));
    REQUIRE_FALSE(first);
    CHECK(first.error().kind == FailureKind::auth);
    for (int i = 0; i < 5; ++i) {
      auto r = f.run(f.client->poll("r"));
      REQUIRE_FALSE(r);
      CHECK(r.error().kind == FailureKind::auth);
    }
    CHECK(f.fake->sent.size() == 1);
    auto h = f.client->health();
    CHECK(h.auth_failed);
    REQUIRE(h.auth_retry_at.has_value());
    CHECK(format_utc_ms(*h.auth_retry_at) == "2026-01-01T00:05:00.000Z");
  }

  TEST_CASE("a 401 is not followed by a burst of queued calls") {
    ClientFixture f(test_platform(2));
    f.fake->push(response(401, ""));
    f.fake->fallback = [](const HttpRequest&) { return SendResult(response(202, "")); };
    int finished = 0;
    spawn_polls_then_submit(f, 5, finished);
    drive(f.io, f.timers, [&] { return finished == 6; });
    CHECK(f.fake->sent.size() == 1);
  }

  TEST_CASE("after the probe interval exactly one call probes, success closes the circuit") {
    ClientFixture f;
    f.fake->push(response(401, ""));
    (void)f.run(f.client->poll("r"));
    f.clock->advance(std::chrono::minutes{5});
    f.fake->push(response(401, ""));
    auto probe = f.run(f.client->poll("r"));
    REQUIRE_FALSE(probe);
    CHECK(probe.error().kind == FailureKind::auth);
    CHECK(f.fake->sent.size() == 2);
    CHECK_FALSE(f.run(f.client->poll("r")));  // open again for another interval
    CHECK(f.fake->sent.size() == 2);
    f.clock->advance(std::chrono::minutes{5});
    f.fake->push(response(202, ""));
    CHECK(f.run(f.client->poll("r")));
    CHECK_FALSE(f.client->health().auth_failed);
    f.fake->push(response(202, ""));
    CHECK(f.run(f.client->poll("r")));
    CHECK(f.fake->sent.size() == 4);
  }

  TEST_CASE("reset_auth closes the circuit at once") {
    ClientFixture f;
    f.fake->push(response(401, ""));
    (void)f.run(f.client->submit(sample_request()));
    f.client->reset_auth();
    f.fake->push(response(200, R"({"requestId":"executionrecord-2"})"));
    auto r = f.run(f.client->submit(sample_request()));
    REQUIRE(r);
    CHECK(f.fake->sent.size() == 2);
    CHECK(f.client->health().last_error.empty());
  }
}
