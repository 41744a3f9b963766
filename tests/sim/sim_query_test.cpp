// ExecutionRecord query and queryMore over real loopback HTTP: filtering, paging and the
// strict validation of QueryFilter.
#include "daemon/sim/sim_json.h"
#include "tests/sim/sim_test_support.h"

#include <set>

namespace bsched::sim::test {

namespace json = boost::json;

namespace {

std::string query_body(const std::string& process, const std::string& from, const std::string& to,
                       const std::string& group_op = "and") {
  return R"({"QueryFilter":{"expression":{"operator":")" + group_op +
         R"(","nestedExpression":[{"property":"processId","operator":"EQUALS","argument":[")" +
         process +
         R"("]},{"property":"atomId","operator":"EQUALS","argument":["atom-1"]},)"
         R"({"property":"executionTime","operator":"BETWEEN","argument":[")" +
         from + R"(",")" + to +
         R"("]}]}},"QuerySort":{"sortField":[{"fieldName":"executionTime","sortOrder":"ASC"}]}})";
}

HttpAnswer query_more(TestClient& client, const std::string& token,
                      const std::string& type = "text/plain") {
  return client.send(http::verb::post, rest_path("ExecutionRecord/queryMore"), token,
                     {{"Content-Type", type}});
}

SimOptions instant_runs() {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  return o;
}

const std::string k_from = "2000-01-01T00:00:00Z";
const std::string k_to = "2100-01-01T00:00:00Z";

}  // namespace

TEST_SUITE("sim::query") {

TEST_CASE("a query pages 250 matching records by 100 and follows queryToken to the end") {
  SimFixture fx(instant_runs());
  TestClient client(fx.port());
  for (int i = 0; i < 250; ++i) submit(client, "proc-A", "a" + std::to_string(i));
  for (int i = 0; i < 7; ++i) submit(client, "proc-B", "b" + std::to_string(i));
  HttpAnswer page = client.post_json(rest_path("ExecutionRecord/query"),
                                     query_body("proc-A", k_from, k_to));
  REQUIRE(page.status == 200);
  std::set<std::string> ids;
  std::vector<std::size_t> sizes;
  for (int guard = 0; guard < 10; ++guard) {
    json::object o = page.json().as_object();
    CHECK(o.at("@type") == "QueryResult");
    CHECK(o.at("numberOfResults") == 250);
    const json::array& result = o.at("result").as_array();
    sizes.push_back(result.size());
    for (const json::value& r : result) {
      CHECK(r.at("processId") == "proc-A");
      ids.insert(std::string(r.at("executionId").as_string()));
    }
    if (!o.contains("queryToken")) break;
    page = query_more(client, std::string(o.at("queryToken").as_string()));
    REQUIRE(page.status == 200);
  }
  CHECK(sizes == std::vector<std::size_t>{100, 100, 50});
  CHECK(ids.size() == 250);
}

TEST_CASE("a query window and an or-group select the matching records only") {
  SimFixture fx(instant_runs());
  TestClient client(fx.port());
  submit(client, "proc-A");
  submit(client, "proc-B");
  HttpAnswer past = client.post_json(rest_path("ExecutionRecord/query"),
                                     query_body("proc-A", "2000-01-01T00:00:00Z", "2000-01-02T00:00:00Z"));
  REQUIRE(past.status == 200);
  CHECK(past.json().at("numberOfResults") == 0);
  CHECK(!past.json().as_object().contains("queryToken"));
  const std::string either = R"({"QueryFilter":{"expression":{"operator":"or","nestedExpression":[)"
                             R"({"property":"processId","operator":"EQUALS","argument":["proc-A"]},)"
                             R"({"property":"processId","operator":"EQUALS","argument":["proc-B"]}]}}})";
  HttpAnswer both = client.post_json(rest_path("ExecutionRecord/query"), either);
  REQUIRE(both.status == 200);
  CHECK(both.json().at("result").as_array().size() == 2);
  const std::string single = R"({"QueryFilter":{"expression":{"property":"status","operator":"EQUALS","argument":["COMPLETE"]}}})";
  CHECK(client.post_json(rest_path("ExecutionRecord/query"), single).json().at("numberOfResults") == 2);
}

TEST_CASE("runs not yet picked up have no record to query") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{60000};
  SimFixture fx(o);
  TestClient client(fx.port());
  submit(client, "proc-A");
  HttpAnswer a = client.post_json(rest_path("ExecutionRecord/query"), query_body("proc-A", k_from, k_to));
  REQUIRE(a.status == 200);
  CHECK(a.json().at("numberOfResults") == 0);
}

TEST_CASE("malformed query filters are answered 400") {
  SimFixture fx(instant_runs());
  TestClient client(fx.port());
  const std::string bad[] = {
      query_body("p", k_from, k_to, "AND"),
      query_body("p", "2026-01-01T00:00:00.000Z", k_to),
      query_body("p", "2026-01-01T00:00:00+00:00", k_to),
      query_body("p", "2026-01-01 00:00:00", k_to),
      query_body("p", "2026-02-30T00:00:00Z", k_to),
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"EQUALS","argument":[5]}}})",
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"EQUALS","argument":"p"}}})",
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"EQUALS","argument":["a","b"]}}})",
      R"({"QueryFilter":{"expression":{"property":"executionTime","operator":"BETWEEN","argument":["2026-01-01T00:00:00Z"]}}})",
      R"({"QueryFilter":{"expression":{"property":"requestId","operator":"EQUALS","argument":["x"]}}})",
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"equals","argument":["x"]}}})",
      // Not among the published operators.
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"STARTS_WITH","argument":["x"]}}})",
      R"({"QueryFilter":{"expression":{"operator":"and","nestedExpression":[]}}})",
      R"({"QueryFilter":{}})",
      R"({"expression":{"property":"processId","operator":"EQUALS","argument":["x"]}})",
      R"({"QueryFilter":{"expression":{"property":"processId","operator":"EQUALS","argument":["x"]}},"QuerySort":{"sortField":[{"fieldName":"executionTime","sortOrder":"asc"}]}})",
      "not json",
  };
  for (const std::string& body : bad) {
    HttpAnswer a = client.post_json(rest_path("ExecutionRecord/query"), body);
    CHECK_MESSAGE(a.status == 400, body);
    if (a.status == 400) CHECK(is_error_body(a.json()));
  }
}

TEST_CASE("queryMore wants text/plain and a known token") {
  SimFixture fx(instant_runs());
  TestClient client(fx.port());
  CHECK(query_more(client, "EXECUTIONRECORD-nope").status == 400);
  CHECK(query_more(client, "\"EXECUTIONRECORD-nope\"", "application/json").status == 415);
}


// The filter reads properties one at a time (record_property) instead of building each
// record; it must read what a poll's record shows, in every state a record can be in.
TEST_CASE("a query's property reads agree with the record a poll shows, in every state") {
  const std::vector<std::string> properties = {
      "executionId", "originalExecutionId", "account", "executionTime", "status",
      "executionType", "processName", "processId", "atomName", "atomId",
      "inboundDocumentCount", "outboundDocumentCount", "executionDuration", "message",
      "reportKey", "launcherId", "nodeId", "recordedDate"};
  const SysMillis t0 = SysMillis{} + std::chrono::hours(24 * 20000);
  SimRun run;
  run.request_id = "executionrecord-1";
  run.execution_id = "execution-1-2024.10.04";
  run.process_id = "proc-1";
  run.atom_id = "atom-1";
  run.submitted_at = t0;
  run.picked_up_at = t0 + Millis(1500);
  run.ends_at = t0 + Millis(61'500);
  const std::string account = "acct-1";
  struct Case {
    std::string outcome, message;
    Millis at;
  };
  const std::vector<Case> cases = {
      {"COMPLETE", "", Millis(2000)},       {"COMPLETE", "", Millis(40'000)},
      {"COMPLETE", "", Millis(61'500)},     {"COMPLETE_WARN", "", Millis(90'000)},
      {"ERROR", "boom \"quoted\"", Millis(90'000)}, {"ABORTED", "stopped", Millis(61'499)},
      {"DISCARDED", "", Millis(70'000)}};
  int compared = 0;
  for (const auto& c : cases) {
    run.outcome = c.outcome;
    run.message = c.message;
    const SysMillis now = run.submitted_at + c.at;
    const json::object record = record_json(run, now, account);
    for (const auto& p : properties) {
      CAPTURE(c.outcome);
      CAPTURE(p);
      std::optional<std::string> shown;
      if (const json::value* v = record.if_contains(p == "launcherId" ? "launcherID" : p)) {
        const json::value& x = v->is_array() ? v->get_array().at(1) : *v;  // ["Long", n]
        shown = x.is_string() ? std::string(x.get_string()) : std::to_string(x.as_int64());
      }
      CHECK(record_property(run, now, account, p) == shown);
      compared += shown.has_value();
    }
  }
  CHECK(compared > 60);  // most properties are present in most states
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
