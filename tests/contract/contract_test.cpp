// The contract test (platform-api.md): every request body the client builds, and every kind
// of answer the simulator gives, validated by ajv against the published Platform API schemas
// kept in tests/contract/platform_schemas.json (their source is named there). The bodies are
// written to a temporary folder as request.<Schema>.<case>.json / answer.<Schema>.<case>.json
// and tests/contract/validate.mjs checks them all in one node run. The calls of `import` are
// checked in contract_schedules_test.cpp.
#include "daemon/core/decisions.h"
#include "daemon/platform/boomi_client.h"
#include "daemon/platform/request_builder.h"
#include "daemon/platform/wire.h"
#include "daemon/sim/sim_router.h"

#include "tests/contract/contract_support.h"
#include "tests/support/config_test_util.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <filesystem>
#include <map>

using namespace bsched;
using bsched::test::ConfigTempDir;
using namespace bsched::test::contract;

namespace {

// ---- requests ----

std::map<std::string, std::string> request_bodies() {
  using platform::ExecutionRequest;
  std::map<std::string, std::string> out;
  ExecutionRequest none{"proc-1", "atom-1", {}, {}};
  ExecutionRequest dynamic{"proc-1", "atom-1", {{"FROM", "2026-01-01"}, {"EMPTY", ""}}, {}};
  ExecutionRequest process{"proc-1", "atom-1", {}, {{"comp-1", {{"k", "v \"quoted\" ü"}}}}};
  ExecutionRequest both{"proc-1", "atom-1", {{"BOOMI_SCHED_RUN_ID", "run-1"}},
                        {{"comp-1", {{"k1", "v1"}, {"k2", ""}}}, {"comp-2", {}}}};
  out["ExecutionRequest.no_properties"] = platform::execution_request_json(none);
  out["ExecutionRequest.dynamic_only"] = platform::execution_request_json(dynamic);
  out["ExecutionRequest.process_only"] = platform::execution_request_json(process);
  out["ExecutionRequest.both"] = platform::execution_request_json(both);

  // Through the request builder, as the daemon builds them: a job with nothing but the run-id
  // property, and one without even that.
  config::Job job;
  job.name = "orders";
  job.process_id = "proc-9";
  job.edit_settings().atom_id = "atom-9";
  config::PlaceholderContext ctx;
  ctx.run_id = "run-9";
  out["ExecutionRequest.built_run_id_only"] =
      platform::execution_request_json(platform::make_execution_request(job, ctx));
  job.edit_settings().run_id_property.clear();
  out["ExecutionRequest.built_bare_job"] =
      platform::execution_request_json(platform::make_execution_request(job, ctx));

  // Every reconcile query: one per state a run is reconciled in, windows around a day change.
  for (auto state : {storage::RunState::submitting, storage::RunState::submitted,
                     storage::RunState::running}) {
    storage::RunRow run;
    run.state = state;
    run.created_at = SysMillis(*parse_instant("2026-12-31T23:59:30Z")) + Millis(250);
    run.last_sent_at = run.created_at;
    auto q = core::reconcile_query(run, job, run.created_at + std::chrono::minutes(5));
    out["ExecutionRecordQueryConfig.reconcile_" + std::string(storage::to_string(state))] =
        platform::record_query_json(q);
  }
  return out;
}

// ---- simulator answers ----

struct SimDriver {
  sim::SimOptions options;
  std::unique_ptr<sim::SimState> state;
  const std::string base = "http://127.0.0.1:1/api/rest/v1";
  SysMillis now = SysMillis(*parse_instant("2026-06-01T12:00:00Z"));

  explicit SimDriver(sim::SimOptions o) : options(std::move(o)) {
    state = std::make_unique<sim::SimState>(options);
  }

  sim::HttpResponse send(sim::http::verb method, const std::string& resource,
                         const std::string& body = "", const std::string& content_type = "",
                         bool authorized = true) {
    sim::HttpRequest req{method, "/api/rest/v1/" + options.account_id + "/" + resource, 11};
    req.set(sim::http::field::accept, "application/json");
    if (authorized)
      req.set(sim::http::field::authorization,
              platform::basic_authorization(options.username, options.token));
    if (!content_type.empty()) req.set(sim::http::field::content_type, content_type);
    req.body() = body;
    req.prepare_payload();
    return sim::handle_request(*state, req, now, base).response;
  }

  std::string submit() {
    auto r = send(sim::http::verb::post, "ExecutionRequest",
                  platform::execution_request_json({"proc-1", "atom-1", {{"RUN", "1"}}, {}}),
                  "application/json");
    REQUIRE(r.result_int() == 200);
    return std::string(boost::json::parse(r.body()).at("requestId").as_string());
  }
};

sim::SimOptions sim_options() {
  sim::SimOptions o;
  o.pickup_delay = Millis(1000);
  o.run_duration = Millis(2000);
  return o;
}

// Every kind of answer of a simulator with options `o`, named <Schema>.<prefix><case>.
void add_sim_answers(std::map<std::string, std::string>& out, const sim::SimOptions& o,
                     const std::string& prefix) {
  using sim::http::verb;
  for (const char* outcome : {"COMPLETE", "COMPLETE_WARN", "ERROR", "ABORTED", "DISCARDED"}) {
    sim::SimOptions oo = o;
    oo.outcomes = sim::OutcomeMix{0, 0, 0, 0, 0};
    std::string name(outcome);
    if (name == "COMPLETE") oo.outcomes.complete = 1;
    if (name == "COMPLETE_WARN") oo.outcomes.complete_warn = 1;
    if (name == "ERROR") oo.outcomes.error = 1;
    if (name == "ABORTED") oo.outcomes.aborted = 1;
    if (name == "DISCARDED") oo.outcomes.discarded = 1;
    SimDriver d(oo);
    auto submitted = d.send(verb::post, "ExecutionRequest",
                            platform::execution_request_json(
                                {"proc-1", "atom-1", {{"RUN", "1"}}, {{"comp", {{"k", "v"}}}}}),
                            "application/json");
    REQUIRE(submitted.result_int() == 200);
    if (name == "COMPLETE") out["ExecutionRequest." + prefix + "submit_echo"] = submitted.body();
    std::string id(boost::json::parse(submitted.body()).at("requestId").as_string());
    d.now += Millis(1200);  // STARTED
    auto started = d.send(verb::get, "ExecutionRecord/async/" + id);
    REQUIRE(started.result_int() == 200);
    if (name == "COMPLETE") out["ExecutionRecord." + prefix + "started"] = started.body();
    d.now += Millis(1500);  // INPROCESS
    auto inprocess = d.send(verb::get, "ExecutionRecord/async/" + id);
    if (name == "COMPLETE") out["ExecutionRecord." + prefix + "inprocess"] = inprocess.body();
    d.now += Millis(1000);  // terminal
    auto done = d.send(verb::get, "ExecutionRecord/async/" + id);
    REQUIRE(done.result_int() == 200);
    out["ExecutionRecord." + prefix + "terminal_" + name] = done.body();
    auto query = d.send(verb::post, "ExecutionRecord/query",
                        platform::record_query_json({"proc-1", "atom-1",
                                                     *parse_instant("2026-06-01T00:00:00Z"),
                                                     *parse_instant("2026-06-02T00:00:00Z")}),
                        "application/json");
    REQUIRE(query.result_int() == 200);
    out["ExecutionRecordQueryResponse." + prefix + "query_" + name] = query.body();
  }

  SimDriver d(o);
  auto error = [&](const std::string& name, const sim::HttpResponse& r, int status) {
    CHECK_MESSAGE(r.result_int() == status, name);
    out["Error." + prefix + name] = r.body();
  };
  error("bad_body", d.send(verb::post, "ExecutionRequest", "{}", "application/json"), 400);
  error("unauthorized", d.send(verb::post, "ExecutionRequest", "{}", "application/json", false), 401);
  error("unknown_request", d.send(verb::get, "ExecutionRecord/async/executionrecord-x"), 404);
  error("wrong_method", d.send(verb::get, "ExecutionRequest"), 405);
  error("wrong_content_type", d.send(verb::post, "ExecutionRequest", "{}", "text/plain"), 415);
  error("bad_token", d.send(verb::post, "ExecutionRecord/queryMore", "nope", "text/plain"), 400);
  SimDriver busy([&] {
    sim::SimOptions b = o;
    b.faults.burst_503 = 1;
    b.faults.rate_429 = 1;
    return b;
  }());
  error("rate_limit", busy.send(verb::get, "ExecutionRecord/async/x"), 503);
  error("throttled", busy.send(verb::get, "ExecutionRecord/async/x"), 429);

  // Paged: 101 records answer 100 and a queryToken.
  SimDriver many(o);
  many.options.pickup_delay = Millis(0);
  many.state = std::make_unique<sim::SimState>(many.options);
  for (int i = 0; i < 101; ++i) many.submit();
  auto page = many.send(verb::post, "ExecutionRecord/query",
                        platform::record_query_json({"proc-1", "atom-1",
                                                     *parse_instant("2026-06-01T00:00:00Z"),
                                                     *parse_instant("2026-06-02T00:00:00Z")}),
                        "application/json");
  REQUIRE(page.result_int() == 200);
  out["ExecutionRecordQueryResponse." + prefix + "first_page"] = page.body();
  auto token = std::string(boost::json::parse(page.body()).at("queryToken").as_string());
  auto more = many.send(verb::post, "ExecutionRecord/queryMore", token, "text/plain");
  REQUIRE(more.result_int() == 200);
  out["ExecutionRecordQueryResponse." + prefix + "last_page"] = more.body();
}

}  // namespace

TEST_SUITE("contract") {
  TEST_CASE("every request body the client builds validates against the published schemas") {
    ConfigTempDir tmp;
    auto dir = tmp.path() / "bodies";
    std::filesystem::create_directories(dir);
    auto bodies = request_bodies();
    for (const auto& [name, body] : bodies) write_body(dir, "request." + name, body);
    auto r = validate(tmp, dir);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(count_lines_starting(r.out, "ok ") == bodies.size());
  }

  TEST_CASE("every kind of simulator answer validates against the published response schemas") {
    ConfigTempDir tmp;
    auto dir = tmp.path() / "answers";
    std::filesystem::create_directories(dir);
    std::map<std::string, std::string> answers;
    add_sim_answers(answers, sim_options(), "");
    // The tolerance variants that are still documented shapes.
    auto variant = sim_options();
    variant.rest_longs = sim::LongStyle::plain;
    variant.error_style = sim::ErrorStyle::error_object;
    add_sim_answers(answers, variant, "plain_longs_error_object_");
    variant.rest_longs = sim::LongStyle::string;
    add_sim_answers(answers, variant, "string_longs_");
    for (const auto& [name, body] : answers) write_body(dir, "answer." + name, body);
    auto r = validate(tmp, dir);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(count_lines_starting(r.out, "ok ") == answers.size());
  }

  TEST_CASE("the validator rejects what the published schemas rule out") {
    ConfigTempDir tmp;
    auto dir = tmp.path() / "bad";
    std::filesystem::create_directories(dir);
    // The ExecutionRequest of a job without process properties before both blocks were sent.
    write_body(dir, "request.ExecutionRequest.no_process_block",
               R"({"@type":"ExecutionRequest","atomId":"a","processId":"p",)"
               R"("DynamicProcessProperties":{"DynamicProcessProperty":[]}})");
    write_body(dir, "request.ExecutionRecordQueryConfig.upper_case_and",
               R"({"QueryFilter":{"expression":{"operator":"AND","nestedExpression":[]}}})");
    write_body(dir, "request.ExecutionRecordQueryConfig.unknown_property",
               R"({"QueryFilter":{"expression":{"property":"requestId","operator":"EQUALS",)"
               R"("argument":["executionrecord-1"]}}})");
    // A record with a key the published schema does not have (launcherID is spelt with a
    // capital D in records), and an envelope where the bare record is documented.
    write_body(dir, "answer.ExecutionRecord.misspelt_launcher_key",
               R"({"@type":"ExecutionRecord","executionId":"e","account":"a","executionTime":)"
               R"("2026-01-01T00:00:00Z","status":"COMPLETE","executionType":"exec_manual",)"
               R"("processName":"n","processId":"p","atomName":"r","atomId":"a","launcherId":"API"})");
    write_body(dir, "answer.ExecutionRecord.envelope",
               R"({"@type":"AsyncOperationResult","responseStatusCode":200,"result":[]})");
    write_body(dir, "answer.Error.typed", R"({"@type":"Error","message":"x"})");
    auto r = validate(tmp, dir);
    CHECK(r.exit_code == 1);
    CHECK(count_lines_starting(r.out, "invalid ") == 6);
    CHECK(r.out.find("required property 'ProcessProperties'") != std::string::npos);
  }
}
