// Fault injection over real loopback HTTP: which faults act on the request, what the client
// sees, and the control endpoint that changes faults at run time.
#include "tests/sim/sim_test_support.h"

namespace bsched::sim::test {

namespace json = boost::json;

namespace {

SimOptions with_faults(const SimFaults& f) {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.faults = f;
  return o;
}

}  // namespace

TEST_SUITE("sim::faults") {

TEST_CASE("a 503 burst answers the next N requests 503 without acting on them") {
  SimFixture fx(with_faults(SimFaults{.burst_503 = 2}));
  TestClient client(fx.port());
  for (int i = 0; i < 2; ++i) {
    HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body());
    CHECK(a.status == 503);
    CHECK(is_error_body(a.json()));
  }
  CHECK(fx.sim().run_count() == 0);
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 200);
  CHECK(fx.sim().run_count() == 1);
}

TEST_CASE("429 answers carry Retry-After and are not acted on") {
  SimFixture fx(with_faults(SimFaults{.rate_429 = 1, .retry_after_s = 7}));
  TestClient client(fx.port());
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body());
  CHECK(a.status == 429);
  CHECK(a.headers["retry-after"] == "7");
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("500 answers are not acted on") {
  SimFixture fx(with_faults(SimFaults{.rate_500 = 1}));
  TestClient client(fx.port());
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 500);
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("a slow answer arrives after the client deadline but the run was created") {
  SimFixture fx(with_faults(SimFaults{.rate_slow = 1, .slow = Millis{400}}));
  TestClient client(fx.port(), 100ms);
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body());
  CHECK(a.status == 0);
  CHECK(a.error == beast::error::timeout);
  CHECK(fx.sim().run_count() == 1);
}

TEST_CASE("a reset after the request was read still creates the run (uncertain after send)") {
  SimFixture fx(with_faults(SimFaults{.rate_reset_after_read = 1}));
  TestClient client(fx.port());
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body("p", "run-reset"));
  CHECK(a.status == 0);
  CHECK(a.error);
  CHECK(fx.sim().run_count() == 1);
  const auto log = fx.sim().requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].status == 0);
  CHECK(log[0].run_id == "run-reset");
}

TEST_CASE("a malformed answer is a 200 whose body is not JSON, and the submit was acted on") {
  SimFixture fx(with_faults(SimFaults{.rate_malformed = 1}));
  TestClient client(fx.port());
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), submit_body());
  CHECK(a.status == 200);
  boost::system::error_code ec;
  json::parse(a.body, ec);
  CHECK(ec);
  CHECK(fx.sim().run_count() == 1);
}

TEST_CASE("a run without a record answers 202 forever") {
  SimOptions o = with_faults(SimFaults{.rate_no_record = 1});
  o.run_duration = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  const std::string id = submit(client);
  fx.advance(30ms);  // past pickup and run end
  CHECK(poll(client, id).status == 202);
  HttpAnswer stats = client.get("/__sim/stats");
  CHECK(stats.json().at("runs").at("PENDING") == 1);
  CHECK(client.get("/__sim/stats").json().at("submits") == 1);
}

TEST_CASE("an async result expires: 204 once async_expiry has passed after the run ended") {
  SimOptions o = with_faults(SimFaults{.async_expiry = Millis{60}});
  o.run_duration = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  const std::string id = submit(client);
  fx.advance(90ms);  // never retrieved, but expired
  HttpAnswer a = poll(client, id);
  CHECK(a.status == 204);
  CHECK(a.body.empty());
}

TEST_CASE("only_submits keeps polls and other calls free of random faults") {
  SimFixture fx(with_faults(SimFaults{.rate_503 = 1, .only_submits = true}));
  TestClient client(fx.port());
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 503);
  CHECK(poll(client, "executionrecord-unknown").status == 404);
  fx.sim().set_faults(SimFaults{});
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 200);
}

TEST_CASE("a random fault rate is followed in proportion and the same seed repeats it") {
  std::vector<int> first;
  for (int round = 0; round < 2; ++round) {
    SimFixture fx(with_faults(SimFaults{.rate_503 = 0.3}));
    TestClient client(fx.port());
    std::vector<int> statuses;
    for (int i = 0; i < 100; ++i) {
      statuses.push_back(poll(client, "executionrecord-unknown").status);
    }
    const auto unavailable = std::count(statuses.begin(), statuses.end(), 503);
    CHECK(unavailable >= 15);
    CHECK(unavailable <= 45);
    CHECK(std::count(statuses.begin(), statuses.end(), 404) == 100 - unavailable);
    if (round == 0) first = statuses;
    if (round == 1) CHECK(statuses == first);
  }
}

TEST_CASE("past the account rate limit the platform answers 503") {
  SimOptions o = fast_options();
  o.rate_limit_per_s = 5;
  SimFixture fx(o);
  TestClient client(fx.port());
  std::vector<int> statuses;
  for (int i = 0; i < 8; ++i) statuses.push_back(poll(client, "executionrecord-unknown").status);
  // Eight requests at one instant of the platform clock: five pass, three are refused.
  CHECK(std::count(statuses.begin(), statuses.end(), 404) == 5);
  CHECK(std::count(statuses.begin(), statuses.end(), 503) == 3);
}

TEST_CASE("POST /__sim/faults replaces the faults and refuses unknown or out-of-range fields") {
  SimFixture fx(with_faults(SimFaults{.rate_500 = 1}));
  TestClient client(fx.port());
  HttpAnswer set = client.post_json("/__sim/faults", R"({"burst_503": 1, "slow": "2s"})");
  CHECK(set.status == 204);
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 503);
  CHECK(client.post_json(rest_path("ExecutionRequest"), submit_body()).status == 200);  // 500 gone
  for (const std::string bad : {R"({"rate_503": 2})", R"({"burst_503": -1})",
                                R"({"rate_9000": 0.1})", R"({"slow": "soon"})", "[]",
                                R"({"only_submits": 1})"}) {
    HttpAnswer a = client.post_json("/__sim/faults", bad);
    CHECK_MESSAGE(a.status == 400, bad);
  }
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
