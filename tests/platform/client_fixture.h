// A BoomiClient over a FakeTransport, a FakeClock and fake timers, for the client tests.
#pragma once

#include "daemon/platform/boomi_client.h"
#include "tests/platform/fake_transport.h"
#include "tests/platform/printers.h"

#include <memory>

namespace bsched::platform::test {

inline config::Platform test_platform(double rps = 0) {
  config::Platform p;
  p.account_id = "acc-1";
  p.base_url = "https://api.test/api/rest/v1";
  p.username = "BOOMI_TOKEN.user@example.com";
  p.token = config::Secret("tok-SECRET-4711");
  p.requests_per_second = rps;
  p.space_guid = "space-9";
  p.graphql_url = "https://gql.test/graphql";
  p.jwt_url = "https://api.test/auth/jwt/generate";
  return p;
}

struct ClientFixture {
  explicit ClientFixture(config::Platform p = test_platform(), ClientOptions o = {}) {
    auto t = std::make_unique<FakeTransport>(&fake_clock);
    fake = t.get();
    if (o.seed == 0) o.seed = 42;
    client = std::make_unique<BoomiClient>(io, p, std::move(t), fake_clock, timers, o);
  }

  template <class T>
  T run(boost::asio::awaitable<T> a) {
    return run_fake(io, timers, std::move(a));
  }

  boost::asio::io_context io;
  bsched::test::FakeClock fake_clock{SysMillis{*parse_instant("2026-01-01T00:00:00Z")}};
  bsched::test::FakeTimerFactory timers{io, fake_clock};
  bsched::test::FakeClock* clock = &fake_clock;
  FakeTransport* fake = nullptr;
  std::unique_ptr<BoomiClient> client;
};

inline ExecutionRequest sample_request() {
  return ExecutionRequest{"proc-1", "atom-1", {{"BOOMI_SCHED_RUN_ID", "r-1"}}, {}};
}

inline const char* k_record_answer =
    R"({"@type":"AsyncOperationResult","responseStatusCode":200,"numberOfResults":1,)"
    R"("result":[{"executionId":"execution-1","status":"COMPLETE"}]})";

}  // namespace bsched::platform::test
