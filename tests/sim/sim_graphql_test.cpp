// GraphQL (processExecute, executionHistory) and the JWT endpoint over real loopback HTTP.
#include "tests/sim/sim_test_support.h"

namespace bsched::sim::test {

namespace json = boost::json;

namespace {

std::string jwt(TestClient& client) {
  HttpAnswer a = client.send(http::verb::get, "/auth/jwt/generate/" + SimOptions{}.account_id, "",
                             {{"Accept", "*/*"}});
  REQUIRE(a.status == 200);
  return a.body;
}

HttpAnswer gql(TestClient& client, const std::string& token, const std::string& body,
               const std::string& space = "space-guid-1") {
  return client.send(http::verb::post, "/graphql", body,
                     {{"Authorization", token.empty() ? "" : "Bearer " + token},
                      {"SPACE_GUID", space}});
}

std::string gql_body(const std::string& query, const std::string& variables = "") {
  json::object o;
  o["query"] = query;
  if (!variables.empty()) o["variables"] = json::parse(variables);
  return json::serialize(o);
}

std::string error_code(const HttpAnswer& a) {
  return std::string(a.json().at("errors").at(0).at("extensions").at("code").as_string());
}

}  // namespace

TEST_SUITE("sim::graphql") {

TEST_CASE("a JWT is issued for Basic credentials of the account only") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string token = jwt(client);
  CHECK(std::count(token.begin(), token.end(), '.') == 2);
  CHECK(token.find(SimOptions{}.token) == std::string::npos);
  HttpAnswer no_auth = client.send(http::verb::get, "/auth/jwt/generate/" + SimOptions{}.account_id,
                                   "", {{"Authorization", ""}});
  CHECK(no_auth.status == 401);
  CHECK(client.get("/auth/jwt/generate/other-account").status == 403);
}

TEST_CASE("GraphQL without a valid Bearer JWT is UNAUTHORIZED") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string body = gql_body(R"(mutation { processExecute(input: {atomId: "a", processId: "p"}) })");
  HttpAnswer none = gql(client, "", body);
  CHECK(none.status == 401);
  CHECK(error_code(none) == "UNAUTHORIZED");
  CHECK(gql(client, "eyJ.forged.token", body).status == 401);
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("processExecute answers the ExecutionRequest JSON as a string, and the run polls") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  const std::string token = jwt(client);
  HttpAnswer a = gql(client, token,
                     gql_body(R"(mutation Run { processExecute(input: {atomId: "atom-1", processId: "proc-g"}) })"));
  REQUIRE(a.status == 200);
  const json::value answer = a.json();
  const json::value& inner = answer.at("data").at("processExecute");
  REQUIRE(inner.is_string());
  json::value request = json::parse(inner.as_string());
  CHECK(request.at("@type") == "ExecutionRequest");
  CHECK(request.at("processId") == "proc-g");
  const std::string id(request.at("requestId").as_string());
  HttpAnswer polled = poll(client, id);
  REQUIRE(polled.status == 200);
  CHECK(record_of(polled).at("processId") == "proc-g");
}

TEST_CASE("processExecute reads its input from variables") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string token = jwt(client);
  HttpAnswer a = gql(client, token,
                     gql_body("mutation($in: ProcessExecuteInput!) { processExecute(input: $in) }",
                              R"({"in": {"atomId": "atom-v", "processId": "proc-v"}})"));
  REQUIRE(a.status == 200);
  CHECK(json::parse(a.json().at("data").at("processExecute").as_string()).at("atomId") == "atom-v");
  CHECK(fx.sim().run_count() == 1);
}

TEST_CASE("GraphQL requests that cannot be read or validated are refused with errors") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string token = jwt(client);
  const std::string execute = R"(mutation { processExecute(input: {atomId: "a", processId: "p"}) })";
  CHECK(gql(client, token, gql_body(execute), "").status == 400);  // no SPACE_GUID
  const std::string bad[] = {
      gql_body("mutation { processExecute(input: {atomId: \"a\"}) }"),
      gql_body("mutation { processExecute(input: {atomId: \"a\", processId: \"p\", x: \"1\"}) }"),
      gql_body("query { processExecute(input: {atomId: \"a\", processId: \"p\"}) }"),
      gql_body("mutation { processExecute(input: {atomId: \"a\", processId: \"p\"}) { requestId } }"),
      gql_body("mutation { processExecute(input: $missing) }"),
      gql_body("mutation { processExecute(input: {atomId: \"a, processId: \"p\"}) }"),
      gql_body("{ somethingElse }"),
      R"({"query": 5})",
      R"({"query": "{ x }", "extra": 1})",
  };
  for (const std::string& body : bad) {
    HttpAnswer a = gql(client, token, body);
    CHECK_MESSAGE(a.status == 400, body);
    CHECK_MESSAGE(a.json().at("errors").as_array().size() == 1, body);
  }
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("executionHistory lists the selected fields of matching records with string Longs") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  submit(client, "proc-h");
  submit(client, "proc-h");
  submit(client, "proc-other");
  const std::string token = jwt(client);
  const std::string q =
      R"(query { executionHistory(input: {processId: "proc-h", executionTime: "2000-01-01T00:00:00Z", status: COMPLETE}) { executionId status executionDuration } })";
  HttpAnswer a = gql(client, token, gql_body(q));
  REQUIRE(a.status == 200);
  const json::value answer = a.json();
  const json::array& list = answer.at("data").at("executionHistory").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[0].as_object().size() == 3);
  CHECK(list[0].at("status") == "COMPLETE");
  CHECK(list[0].at("executionDuration") == json::array{"Long", "0"});
  const std::string errors =
      R"(query { executionHistory(input: {processId: "proc-h", executionTime: "2000-01-01T00:00:00Z", status: ERROR}) { executionId } })";
  CHECK(gql(client, token, gql_body(errors)).json().at("data").at("executionHistory").as_array().empty());
  const std::string unknown_field =
      R"(query { executionHistory(input: {processId: "proc-h", executionTime: "2000-01-01T00:00:00Z", status: ERROR}) { secret } })";
  CHECK(gql(client, token, gql_body(unknown_field)).status == 400);
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
