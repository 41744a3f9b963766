// The engine's runtime policies: operator commands, submit failures, the auth circuit,
// uncertain triggers.
#include "tests/core/engine_harness.h"

using namespace bsched;
using namespace bsched::test;
using platform::FailureKind;
using storage::RunState;

TEST_SUITE("core::engine") {
  TEST_CASE("a paused job records its slots as missed and fires again after resume") {
    EngineHarness h;
    h.client.poll_default = record_answer("COMPLETE");
    h.start(make_config({make_job("orders", "* * * * *")}));
    enqueue(h, storage::CommandKind::pause, "orders", R"({"note": "vendor outage"})");
    h.engine->check_commands();
    h.run_ready();  // commands are taken by a coroutine of their own
    auto st = h.store->job_state("orders");
    REQUIRE(st.has_value());
    CHECK(st->paused);
    CHECK(st->pause_note == "vendor outage");
    h.advance(std::chrono::minutes(3));
    CHECK(h.client.submits.empty());
    auto gaps = h.gaps("orders");
    REQUIRE(gaps.size() == 1);
    CHECK(gaps[0].reason == "paused");
    CHECK(gaps[0].count == 3);
    enqueue(h, storage::CommandKind::resume, "orders");
    h.engine->check_commands();
    h.advance(std::chrono::minutes(1));
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("commands are also taken by the periodic fallback without check_commands") {
    EngineHarness h;
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.advance(std::chrono::seconds(29));
    CHECK(h.client.submits.empty());
    h.advance(std::chrono::seconds(1));
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("a manual trigger fires at once with its extra properties") {
    EngineHarness h;
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    enqueue(h, storage::CommandKind::trigger, "orders", R"({"properties": {"REGION": "emea"}})");
    h.engine->check_commands();
    h.run_ready();
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.client.property(0, "REGION") == "emea");
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].trigger == storage::Trigger::manual);
    enqueue(h, storage::CommandKind::trigger, "no-such-job");
    h.engine->check_commands();
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("a transient submit failure is retried with backoff, then the run proceeds") {
    EngineHarness h;
    h.client.submit_answers.push_back(call_error(FailureKind::throttled, 503));
    h.client.submit_answers.push_back(call_error(FailureKind::retry_later, 500));
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10));
    CHECK(h.client.submits.size() == 1);
    CHECK(h.runs("orders")[0].state == RunState::submitting);
    h.advance(std::chrono::seconds(1));  // first backoff: 0.5 x 2 s
    CHECK(h.client.submits.size() == 2);
    h.advance(std::chrono::seconds(2));  // second: 0.5 x 4 s
    REQUIRE(h.client.submits.size() == 3);
    auto run = h.runs("orders")[0];
    CHECK(run.state == RunState::submitted);
    CHECK(run.attempts == 3);
    CHECK(h.engine->stats().platform == "ok");
  }

  TEST_CASE("a refused trigger ends the run as rejected, not the daemon") {
    EngineHarness h;
    h.client.submit_answers.push_back(call_error(FailureKind::permanent, 403, "no privilege"));
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10));
    auto run = h.runs("orders")[0];
    CHECK(run.state == RunState::rejected);
    CHECK(run.last_error == "HTTP 403: no privilege");
    CHECK(h.engine->stats().failures == 1);
    h.advance(std::chrono::minutes(10));
    CHECK(h.client.submits.size() == 2);
  }

  TEST_CASE("a 401 halts every submission while the circuit is open") {
    EngineHarness h;
    h.client.submit_answers.push_back(call_error(FailureKind::auth, 401, "bad credentials"));
    h.start(make_config({make_job("orders", "* * * * *"), make_job("sales", "* * * * *")}));
    h.client.auth_retry_at_on_401 = h.clock.now() + std::chrono::hours(1);
    h.advance(std::chrono::minutes(1));
    CHECK(h.client.submits.size() == 1);  // the first one hit the 401; the other waits
    CHECK(h.engine->stats().platform == "auth failed: bad credentials");
    auto hb = h.store->read_heartbeat();
    REQUIRE(hb.has_value());
    REQUIRE(hb->has_value());
    CHECK((*hb)->platform_state == "auth failed: bad credentials");
    h.advance(std::chrono::minutes(5));
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("new credentials close the auth circuit at once and the held triggers are sent") {
    EngineHarness h;
    auto orders = make_job("orders", "* * * * *");
    orders.edit_settings().catchup_window = std::chrono::minutes(5);
    orders.edit_settings().overlap = config::Overlap::allow;
    h.client.submit_answers.push_back(call_error(FailureKind::auth, 401, "bad credentials"));
    h.client.auth_retry_at_on_401 = h.clock.now() + std::chrono::hours(1);
    auto config = make_config({orders});
    h.start(config);
    h.advance(std::chrono::minutes(1));  // 10:01 hits the 401 and waits for the circuit
    REQUIRE(h.client.submits.size() == 1);
    CHECK(h.runs("orders")[0].state == RunState::submitting);
    h.advance(std::chrono::seconds(70));  // 10:02 is created but held by the open circuit
    CHECK(h.client.submits.size() == 1);
    CHECK(h.engine->stats().platform == "auth failed: bad credentials");
    h.engine->reload(make_config({orders}, "fp-2"));  // the operator fixed the token, SIGHUP
    CHECK(h.engine->stats().platform == "checking new credentials");
    h.advance(std::chrono::seconds(1));
    // Both held runs, still within their deadlines, leave now; nothing ends `missed`.
    CHECK(h.client.submits.size() == 3);
    for (const auto& r : h.runs("orders")) {
      CAPTURE(r.run_id);
      CHECK(r.state != RunState::missed);
      CHECK(r.state != RunState::skipped);
    }
    CHECK(h.engine->stats().platform == "ok");
  }

  TEST_CASE("an uncertain trigger found by reconciling is tracked, never resent") {
    EngineHarness h;
    h.client.submit_answers.push_back(call_error(FailureKind::uncertain, 0, "reset after send"));
    h.client.query_answers.push_back(std::vector<platform::ExecutionRecord>{
        execution_record("execution-77", "INPROCESS", instant("2026-01-05T10:10:01Z"))});
    h.start(make_config({make_job("orders", "*/10 * * * *")}));
    h.advance(std::chrono::minutes(10) + std::chrono::seconds(5));
    REQUIRE(h.client.queries.size() == 1);
    CHECK(h.client.queries[0].process_id == "process-orders");
    CHECK(h.client.queries[0].from == instant("2026-01-05T10:08:00Z"));
    auto run = h.runs("orders")[0];
    CHECK(run.state == RunState::running);
    CHECK(run.execution_id == "execution-77");
    CHECK(h.client.submits.size() == 1);
  }

  TEST_CASE("a reconciling run never takes a record another run holds, old holds are dropped") {
    EngineHarness h;
    h.options.maintenance_interval = std::chrono::minutes(1);
    // The first trigger completes as execution-1; the second, a minute later, is uncertain
    // and its reconcile window (from two minutes before its send) still shows execution-1.
    h.client.poll_answers = {record_answer("COMPLETE", "execution-1")};
    h.client.submit_answers.push_back(platform::SubmitResult{"executionrecord-1"});
    h.client.submit_answers.push_back(call_error(FailureKind::uncertain, 0, "reset after send"));
    h.client.query_answers.push_back(std::vector<platform::ExecutionRecord>{
        execution_record("execution-1", "COMPLETE", instant("2026-01-05T10:00:01Z")),
        execution_record("execution-2", "COMPLETE", instant("2026-01-05T10:01:01Z"))});
    h.start(make_config({make_job("orders", "0 0 1 1 *")}));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.advance(std::chrono::seconds(30));
    REQUIRE(h.runs("orders")[0].state == RunState::complete);
    CHECK(h.engine->stats().claimed == 1);
    h.advance(std::chrono::seconds(30));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.advance(std::chrono::seconds(90));
    REQUIRE(h.client.queries.size() == 1);
    auto runs = h.runs("orders");
    REQUIRE(runs.size() == 2);
    auto second = runs[0].id > runs[1].id ? runs[0] : runs[1];
    CHECK(second.execution_id == "execution-2");
    CHECK(second.state == RunState::complete);
    CHECK(h.client.submits.size() == 2);
    CHECK(h.engine->stats().claimed == 2);
    // Nothing in flight: a hold goes once no reconcile can meet it any more (two reconcile
    // margins after it was made), not when a count overflows.
    h.advance(std::chrono::minutes(2));
    CHECK(h.engine->stats().claimed == 2);
    h.advance(std::chrono::minutes(3));
    CHECK(h.engine->stats().claimed == 0);
  }

  TEST_CASE("an uncertain trigger not found by reconciling ends unknown, never resent") {
    EngineHarness h;
    h.client.submit_answers.push_back(call_error(FailureKind::uncertain, 0, "timed out"));
    auto job = make_job("orders", "0 0 1 1 *");
    job.edit_settings().record_timeout = std::chrono::minutes(5);
    h.start(make_config({job}));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.advance(std::chrono::minutes(10));
    auto run = h.runs("orders")[0];
    CHECK(run.state == RunState::unknown);
    CHECK(run.last_error.find("not resent") != std::string::npos);
    CHECK(h.client.submits.size() == 1);
    CHECK(h.client.queries.size() >= 3);
  }

  TEST_CASE("a run whose record never appears is lost after record_timeout") {
    EngineHarness h;
    auto job = make_job("orders", "0 0 1 1 *");
    job.edit_settings().record_timeout = std::chrono::minutes(2);
    h.start(make_config({job}));
    enqueue(h, storage::CommandKind::trigger, "orders");
    h.engine->check_commands();
    h.advance(std::chrono::minutes(3));
    CHECK(h.runs("orders")[0].state == RunState::lost);
  }
}
