// BoomiClient + BeastTransport against the in-process simulator on 127.0.0.1 (real sockets,
// real time; each case takes well under two seconds).
#include "daemon/platform/beast_transport.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/sim/simulator.h"
#include "tests/platform/printers.h"
#include "tests/platform/run_real.h"
#include "tests/platform/test_server.h"
#include "tests/support/config_test_util.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;
using namespace std::chrono_literals;
using bsched::platform::test::RealTimeClient;
using bsched::platform::test::run_real;

namespace {

// The simulator's platform time: these cases run a real client on real time against it.
const SystemClock real_clock{};

sim::SimOptions fast_sim() {
  sim::SimOptions o;
  o.pickup_delay = 100ms;
  o.run_duration = 150ms;
  return o;
}

config::Platform platform_for(const sim::Simulator& s, double rps = 0) {
  config::Platform p;
  p.account_id = "sim-account";
  p.base_url = s.base_url();
  p.username = "BOOMI_TOKEN.sim@example.com";
  p.token = config::Secret("sim-token");
  p.requests_per_second = rps;
  p.timeout = 2s;
  return p;
}

ClientOptions quick_retries() {
  ClientOptions o;
  o.backoff_initial = 20ms;
  o.backoff_max = 100ms;
  o.retry_budget = 3s;
  return o;
}

RealTimeClient client_for(boost::asio::io_context& io, const config::Platform& p,
                          ClientOptions o = quick_retries()) {
  TransportOptions t;
  t.timeout = p.timeout;
  t.ca_file = p.ca_file;
  return RealTimeClient(io, [&](const Clock& clock, TimerFactory& timers) {
    return make_platform_client(io, p, std::make_unique<BeastTransport>(io, t), clock, timers, o);
  });
}

// Polls until a terminal record (or 50 polls).
boost::asio::awaitable<CallResult<PollResult>> poll_to_end(PlatformClient& c, std::string id) {
  for (int i = 0; i < 50; ++i) {
    auto r = co_await c.poll(id);
    if (!r || (r->kind == PollResult::Kind::record &&
               classify_status(r->record.status) != RemoteStatus::in_progress) ||
        r->kind == PollResult::Kind::gone)
      co_return r;
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, 40ms);
    co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
  co_return CallError{FailureKind::retry_later, 0, "no terminal status after 50 polls"};
}

ExecutionRequest request() { return ExecutionRequest{"proc-1", "atom-1", {{"BOOMI_SCHED_RUN_ID", "run-7"}}, {}}; }

}  // namespace

TEST_SUITE("platform::sim_integration") {
  TEST_CASE("a trigger is submitted and polled to COMPLETE over http") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    CHECK(sub->request_id.rfind("executionrecord-", 0) == 0);
    auto end = run_real(io, poll_to_end(*client, sub->request_id));
    REQUIRE(end.has_value());
    REQUIRE(end->kind == PollResult::Kind::record);
    CHECK(end->record.status == "COMPLETE");
    CHECK(end->record.execution_id.rfind("execution-", 0) == 0);
    auto received = s.requests();
    REQUIRE_FALSE(received.empty());
    CHECK(received[0].run_id == "run-7");
    s.stop();
  }

  TEST_CASE("records in the AsyncOperationResult envelope with string long pairs parse the same") {
    boost::asio::io_context io;
    auto o = fast_sim();
    o.poll_envelope = true;
    o.rest_longs = sim::LongStyle::string;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    auto end = run_real(io, poll_to_end(*client, sub->request_id));
    REQUIRE(end.has_value());
    REQUIRE(end->kind == PollResult::Kind::record);
    CHECK(end->record.status == "COMPLETE");
    CHECK(end->record.inbound_document_size == 1024);
    s.stop();
  }

  TEST_CASE("a poll after the terminal record was retrieved finds the async result gone") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    auto end = run_real(io, poll_to_end(*client, sub->request_id));
    REQUIRE(end.has_value());
    REQUIRE(end->kind == PollResult::Kind::record);
    auto again = run_real(io, client->poll(sub->request_id));
    REQUIRE(again.has_value());
    CHECK(again->kind == PollResult::Kind::gone);
    s.stop();
  }

  TEST_CASE("a wrong token gets 401 once and then the circuit stays shut") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto p = platform_for(s);
    p.token = config::Secret("wrong-token");
    auto client = client_for(io, p);
    auto first = run_real(io, client->submit(request()));
    REQUIRE_FALSE(first.has_value());
    CHECK(first.error().kind == FailureKind::auth);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(run_real(io, client->poll("executionrecord-x")).has_value());
    CHECK(s.requests().size() == 1);
    CHECK(first.error().message.find("wrong-token") == std::string::npos);
    s.stop();
  }

  TEST_CASE("a 503 burst on polls is absorbed by the client's backoff") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    sim::SimFaults f;
    f.burst_503 = 2;
    s.set_faults(f);
    auto r = run_real(io, client->poll(sub->request_id));
    REQUIRE(r.has_value());
    int throttled = 0;
    for (const auto& q : s.requests()) throttled += q.status == 503;
    CHECK(throttled == 2);
    s.stop();
  }

  TEST_CASE("a submit throttled by 429 comes back with Retry-After and is not resent") {
    boost::asio::io_context io;
    auto o = fast_sim();
    o.faults.rate_429 = 1.0;
    o.faults.retry_after_s = 3;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto r = run_real(io, client->submit(request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::throttled);
    CHECK(r.error().retry_after == Millis{3000});
    CHECK(s.requests().size() == 1);
    s.stop();
  }

  TEST_CASE("a trigger acted on and then reset is uncertain and sent once") {
    boost::asio::io_context io;
    auto o = fast_sim();
    o.faults.rate_reset_after_read = 1.0;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto r = run_real(io, client->submit(request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    CHECK(s.requests().size() == 1);
    s.stop();
  }

  TEST_CASE("a malformed 200 to a trigger is uncertain") {
    boost::asio::io_context io;
    auto o = fast_sim();
    o.faults.rate_malformed = 1.0;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto r = run_real(io, client->submit(request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    s.stop();
  }

  TEST_CASE("a slow trigger answer past the deadline is uncertain") {
    boost::asio::io_context io;
    auto o = fast_sim();
    o.faults.rate_slow = 1.0;
    o.faults.slow = 1500ms;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    auto p = platform_for(s);
    p.timeout = 300ms;
    auto client = client_for(io, p);
    auto r = run_real(io, client->submit(request()));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == FailureKind::uncertain);
    s.stop();
  }

  TEST_CASE("calls are spaced by requests_per_second on the wire") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s, 20));
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    int done = 0;
    for (int i = 0; i < 8; ++i)
      boost::asio::co_spawn(
          io,
          [&]() -> boost::asio::awaitable<void> {
            (void)co_await client->poll(sub->request_id);
            ++done;
          },
          boost::asio::detached);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (done < 8 && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_one_for(50ms);
    }
    REQUIRE(done == 8);
    auto received = s.requests();
    REQUIRE(received.size() == 9);
    // The pace spaces departures; the first gap also holds the trigger's connection setup, so
    // it is measured among the polls (which reuse the kept-alive connection).
    for (size_t i = 2; i < received.size(); ++i) {
      auto gap = received[i].received_at - received[i - 1].received_at;
      CAPTURE(i);
      CHECK(gap >= 25ms);  // 50 ms apart at departure; arrival jitters on a loaded machine
    }
    auto total = received.back().received_at - received[1].received_at;
    CHECK(total >= 340ms);  // 7 gaps of 50 ms
    CHECK(total < 1500ms);
    s.stop();
  }

  TEST_CASE("https to the simulator fails without ca_file and works with it") {
    bsched::test::ConfigTempDir dir;
    REQUIRE(platform::test::make_self_signed(dir.path(), "sim"));
    auto o = fast_sim();
    o.cert_file = (dir.path() / "sim.cert.pem").string();
    o.key_file = (dir.path() / "sim.key.pem").string();
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, o);
    REQUIRE(s.start().has_value());
    REQUIRE(s.base_url().rfind("https://", 0) == 0);

    auto untrusted = client_for(io, platform_for(s));
    auto refused = run_real(io, untrusted->submit(request()));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().kind == FailureKind::retry_later);
    CHECK(refused.error().message.find("TLS") != std::string::npos);
    CHECK(s.requests().empty());

    auto p = platform_for(s);
    p.ca_file = o.cert_file;
    auto trusted = client_for(io, p);
    auto sub = run_real(io, trusted->submit(request()));
    REQUIRE(sub.has_value());
    auto end = run_real(io, poll_to_end(*trusted, sub->request_id));
    REQUIRE(end.has_value());
    CHECK(end->record.status == "COMPLETE");
    s.stop();
  }

  TEST_CASE("a finished run is found again through query and queryMore") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto client = client_for(io, platform_for(s));
    auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
      auto sub = run_real(io, client->submit(request()));
      REQUIRE(sub.has_value());
      auto end = run_real(io, poll_to_end(*client, sub->request_id));
      REQUIRE(end.has_value());
      ids.push_back(end->record.execution_id);
    }
    RecordQuery q{"proc-1", "atom-1", before - 60s, before + 120s};
    auto found = run_real(io, client->query(q));
    REQUIRE(found.has_value());
    REQUIRE(found->size() == 3);
    for (const auto& rec : *found)
      CHECK(std::find(ids.begin(), ids.end(), rec.execution_id) != ids.end());
    q.atom_id = "another-atom";
    auto none = run_real(io, client->query(q));
    REQUIRE(none.has_value());
    CHECK(none->empty());
    s.stop();
  }

  TEST_CASE("over GraphQL a trigger gets a JWT, runs, and is found by executionHistory") {
    boost::asio::io_context io;
    sim::Simulator s(io, real_clock, fast_sim());
    REQUIRE(s.start().has_value());
    auto p = platform_for(s);
    auto root = s.base_url().substr(0, s.base_url().find("/api/rest/v1"));
    p.api = config::ApiKind::graphql;
    p.space_guid = "space-1";
    p.graphql_url = root + "/graphql";
    p.jwt_url = root + "/auth/jwt/generate";
    auto client = client_for(io, p);
    auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto sub = run_real(io, client->submit(request()));
    REQUIRE(sub.has_value());
    CHECK(sub->request_id.rfind("executionrecord-", 0) == 0);
    auto end = run_real(io, poll_to_end(*client, sub->request_id));
    REQUIRE(end.has_value());
    CHECK(end->record.status == "COMPLETE");
    auto found = run_real(io, client->query(RecordQuery{"proc-1", "atom-1", before - 5s, before + 60s}));
    REQUIRE(found.has_value());
    REQUIRE(found->size() == 1);
    CHECK((*found)[0].execution_id == end->record.execution_id);
    // One JWT served the trigger and all seven history calls.
    int jwts = 0;
    for (const auto& r : s.requests()) jwts += r.target.find("/auth/jwt/") != std::string::npos;
    CHECK(jwts == 1);
    s.stop();
  }
}
