// The simulator's REST surface over real loopback HTTP: strict rejections, the submit echo,
// the poll lifecycle, bare records and the envelope, error shapes, and the request log.
#include "tests/sim/sim_test_support.h"

#include <set>

namespace bsched::sim::test {

namespace json = boost::json;

namespace {

// Writes `bytes` as they are and reads until the server closes (2 s deadline).
std::string raw_exchange(unsigned short port, const std::string& bytes) {
  asio::io_context io;
  std::string answer;
  auto run = [&]() -> asio::awaitable<void> {
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    beast::tcp_stream stream(io);
    stream.expires_after(2s);
    auto [cec] = co_await stream.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), tuple);
    if (cec) co_return;
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(bytes), tuple);
    if (wec) co_return;
    for (;;) {
      char chunk[1024];
      auto [rec, rn] = co_await stream.async_read_some(asio::buffer(chunk), tuple);
      answer.append(chunk, rn);
      if (rec) co_return;
    }
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  return answer;
}

}  // namespace

TEST_SUITE("sim::rest") {

TEST_CASE("a request that is not HTTP is answered 400 and the connection closed") {
  SimFixture fx;
  const std::string answer = raw_exchange(fx.port(), "HELLO THERE\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400"));
  CHECK(answer.find("{\"message\":\"") != std::string::npos);
  CHECK(fx.sim().requests().empty());
}

TEST_CASE("a submit without credentials is answered 401 with the platform's error body") {
  SimFixture fx;
  TestClient client(fx.port());
  HttpAnswer a = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                             {{"Authorization", ""}});
  CHECK(a.status == 401);
  CHECK(is_error_body(a.json()));
  CHECK(!a.json().at("message").as_string().empty());
  CHECK(a.headers.count("www-authenticate") == 1);
  CHECK(fx.sim().requests().at(0).status == 401);
}

TEST_CASE("a submit with the wrong token is refused and the token is never echoed") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string auth = basic_auth(SimOptions{}.username, "wrong-secret-token");
  HttpAnswer a = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                             {{"Authorization", auth}});
  CHECK(a.status == 401);
  CHECK(a.body.find("wrong-secret-token") == std::string::npos);
  CHECK(a.body.find(auth.substr(6)) == std::string::npos);
  HttpAnswer log = client.get("/__sim/requests");
  CHECK(log.body.find(auth.substr(6)) == std::string::npos);
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("a Bearer or malformed Authorization header is refused") {
  SimFixture fx;
  TestClient client(fx.port());
  for (const std::string auth : {"Bearer abc", "Basic !!!notbase64", "Basic"}) {
    HttpAnswer a = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                               {{"Authorization", auth}});
    CHECK_MESSAGE(a.status == 401, auth);
  }
}

TEST_CASE("another account in the path is forbidden even with valid credentials") {
  SimFixture fx;
  TestClient client(fx.port());
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest", "other-account"), submit_body());
  CHECK(a.status == 403);
  CHECK(is_error_body(a.json()));
}

TEST_CASE("the platform's media types are required: Accept JSON, Content-Type JSON") {
  SimFixture fx;
  TestClient client(fx.port());
  HttpAnswer no_accept = client.send(http::verb::post, rest_path("ExecutionRequest"),
                                     submit_body(), {{"Accept", ""}});
  CHECK(no_accept.status == 406);
  HttpAnswer xml = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                               {{"Accept", "application/xml"}});
  CHECK(xml.status == 406);
  HttpAnswer text = client.send(http::verb::post, rest_path("ExecutionRequest"), submit_body(),
                                {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  HttpAnswer charset = client.send(http::verb::post, rest_path("ExecutionRequest"),
                                   submit_body(), {{"Content-Type", "application/json; charset=utf-8"},
                                                   {"Accept", "text/xml, application/json;q=0.9"}});
  CHECK(charset.status == 200);
}

TEST_CASE("malformed ExecutionRequest bodies are answered 400 and create no run") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string bad[] = {
      "",
      "not json",
      "[1,2]",
      R"({"atomId":"a","processId":"p"})",                                   // no @type
      R"({"@type":"ProcessExecution","atomId":"a","processId":"p"})",       // wrong @type
      R"({"@type":"ExecutionRequest","processId":"p"})",                    // no atomId
      R"({"@type":"ExecutionRequest","atomId":5,"processId":"p"})",         // wrong type
      R"({"@type":"ExecutionRequest","atomId":"a","processId":""})",        // empty id
      R"({"@type":"ExecutionRequest","atomid":"a","atomId":"a","processId":"p"})",  // unknown key
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p"})",      // no property blocks
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","ProcessProperties":{"ProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":[],"ProcessProperties":{"ProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":{"name":"A","value":"1"}},"ProcessProperties":{"ProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[{"Name":"A","Value":"1"}]},"ProcessProperties":{"ProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[{"name":"A","value":1}]},"ProcessProperties":{"ProcessProperty":[]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[]},"ProcessProperties":{"ProcessProperty":[{"componentId":"c","ProcessPropertyValue":{"key":"k","value":"v"}}]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[]},"ProcessProperties":{"ProcessProperty":[{"componentId":"c","ProcessPropertyValue":[{"Name":"k","Value":"v"}]}]}})",
      R"({"@type":"ExecutionRequest","atomId":"a","processId":"p","DynamicProcessProperties":{"DynamicProcessProperty":[]},"ProcessProperties":{"ProcessProperty":[{"ProcessPropertyValue":[{"key":"k","value":"v"}]}]}})",
  };
  for (const std::string& body : bad) {
    HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), body.empty() ? " " : body);
    CHECK_MESSAGE(a.status == 400, body);
    if (a.status == 400) CHECK(is_error_body(a.json()));
  }
  CHECK(fx.sim().run_count() == 0);
}

TEST_CASE("a valid submit is echoed with a requestId and a recordUrl") {
  SimFixture fx;
  TestClient client(fx.port());
  const std::string body =
      R"({"@type":"ExecutionRequest","atomId":"atom-9","processId":"proc-9",)"
      R"("DynamicProcessProperties":{"DynamicProcessProperty":[{"name":"BOOMI_SCHED_RUN_ID","value":"r-42"},{"name":"FROM","value":""}]},)"
      R"("ProcessProperties":{"ProcessProperty":[{"componentId":"comp-1","ProcessPropertyValue":[{"key":"k1","value":"v1"}]}]}})";
  HttpAnswer a = client.post_json(rest_path("ExecutionRequest"), body);
  REQUIRE(a.status == 200);
  json::object echo = a.json().as_object();
  const std::string request_id(echo.at("requestId").as_string());
  CHECK(request_id.starts_with("executionrecord-"));
  CHECK(request_id.size() == std::string("executionrecord-").size() + 36);
  CHECK(echo.at("processId") == "proc-9");
  CHECK(echo.at("ProcessProperties").at("ProcessProperty").as_array().size() == 1);
  CHECK(std::string(echo.at("recordUrl").as_string()).ends_with("/ExecutionRecord/async/" + request_id));
  const auto log = fx.sim().requests();
  REQUIRE(log.size() == 1);
  CHECK(log[0].run_id == "r-42");
  CHECK(log[0].method == "POST");
  CHECK(log[0].target == rest_path("ExecutionRequest"));
  CHECK(log[0].body == body);
}

TEST_CASE("a run answers 202, then STARTED or INPROCESS, then its terminal record") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{80};
  o.run_duration = Millis{120};
  SimFixture fx(o);
  TestClient client(fx.port());
  const auto submitted = fx.clock().now();
  const std::string id = submit(client, "proc-life");
  HttpAnswer first = poll(client, id);
  CHECK(first.status == 202);
  CHECK(first.body.empty());
  std::set<std::string> seen;
  json::object last;
  while (fx.clock().now() - submitted < 1500ms) {
    HttpAnswer a = poll(client, id);
    if (a.status == 200) {
      last = record_of(a);
      seen.insert(std::string(last.at("status").as_string()));
      if (last.at("status") == "COMPLETE") break;
    }
    fx.advance(15ms);
  }
  CHECK(seen.count("COMPLETE") == 1);
  CHECK((seen.count("STARTED") + seen.count("INPROCESS")) >= 1);
  CHECK(last.at("processId") == "proc-life");
  CHECK(last.at("atomId") == "atom-1");
  CHECK(last.at("executionType") == "exec_manual");
  CHECK(last.at("executionDuration") == json::array{"Long", 120});
  const std::string exec_id(last.at("executionId").as_string());
  CHECK(exec_id.starts_with("execution-"));
  CHECK(exec_id.size() == std::string("execution-").size() + 36 + 11);
  CHECK(parse_strict_instant(std::string(last.at("executionTime").as_string())).has_value());
  CHECK(parse_strict_instant(std::string(last.at("recordedDate").as_string())).has_value());
  CHECK(client.connects() == 1);  // every call went over one keep-alive connection
}

TEST_CASE("polls are answered with the bare ExecutionRecord by default, nothing invented") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  HttpAnswer a = poll(client, submit(client));
  REQUIRE(a.status == 200);
  const json::object r = a.json().as_object();
  CHECK(r.at("@type") == "ExecutionRecord");
  CHECK(!r.contains("result"));
  CHECK(r.at("executionDuration") == json::array{"Long", 0});
  for (const char* absent : {"launcherID", "originalExecutionId", "parentExecutionId",
                             "topLevelExecutionId", "reportKey", "nodeId", "message"}) {
    INFO(absent);
    CHECK(!r.contains(absent));
  }
}

TEST_CASE("poll_envelope answers polls in an AsyncOperationResult envelope") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.poll_envelope = true;
  SimFixture fx(o);
  TestClient client(fx.port());
  HttpAnswer a = poll(client, submit(client));
  REQUIRE(a.status == 200);
  json::object env = a.json().as_object();
  CHECK(env.at("@type") == "AsyncOperationResult");
  CHECK(env.at("responseStatusCode") == 200);
  CHECK(env.at("numberOfResults") == 1);
  REQUIRE(env.at("result").as_array().size() == 1);
  CHECK(env.at("result").as_array()[0].at("@type") == "ExecutionRecord");
}

TEST_CASE("rest_longs spells the long fields as string pairs or plain integers") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  o.rest_longs = LongStyle::string;
  {
    SimFixture fx(o);
    TestClient client(fx.port());
    HttpAnswer a = poll(client, submit(client));
    REQUIRE(a.status == 200);
    CHECK(a.json().at("inboundDocumentSize") == json::array{"Long", "1024"});
  }
  o.rest_longs = LongStyle::plain;
  SimFixture fx(o);
  TestClient client(fx.port());
  HttpAnswer a = poll(client, submit(client));
  REQUIRE(a.status == 200);
  CHECK(a.json().at("inboundDocumentSize") == 1024);
}

TEST_CASE("a terminal record is answered once, later polls of the request id answer 204") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  const std::string id = submit(client);
  HttpAnswer first = poll(client, id);
  REQUIRE(first.status == 200);
  CHECK(first.json().at("status") == "COMPLETE");
  HttpAnswer again = poll(client, id);
  CHECK(again.status == 204);
  CHECK(again.body.empty());
}

TEST_CASE("error_style renders error answers in each documented shape") {
  SimOptions o = fast_options();
  o.error_style = ErrorStyle::error_object;
  {
    SimFixture fx(o);
    TestClient client(fx.port());
    HttpAnswer a = poll(client, "executionrecord-unknown");
    CHECK(a.status == 404);
    CHECK(!a.json().at("error").at("message").as_string().empty());
  }
  o.error_style = ErrorStyle::typed;
  SimFixture fx(o);
  TestClient client(fx.port());
  HttpAnswer a = poll(client, "executionrecord-unknown");
  CHECK(a.status == 404);
  CHECK(a.json().at("@type") == "Error");
  CHECK(!a.json().at("message").as_string().empty());
}

TEST_CASE("an unknown requestId is answered 404") {
  SimFixture fx;
  TestClient client(fx.port());
  HttpAnswer a = poll(client, "executionrecord-00000000-0000-4000-8000-000000000000");
  CHECK(a.status == 404);
  CHECK(is_error_body(a.json()));
}

TEST_CASE("an error outcome ends in ERROR with a message") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  o.outcomes = OutcomeMix{0, 0, 1, 0, 0};
  SimFixture fx(o);
  TestClient client(fx.port());
  json::object r = poll_until_terminal(fx, client, submit(client));
  CHECK(r.at("status") == "ERROR");
  CHECK(std::string(r.at("message").as_string()).starts_with("simulated failure"));
}

TEST_CASE("the outcome mix is followed in proportion and reproducible by seed") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  o.run_duration = Millis{0};
  o.outcomes = OutcomeMix{0.5, 0, 0.5, 0, 0};
  std::vector<std::string> first_statuses;
  for (int round = 0; round < 2; ++round) {
    SimFixture fx(o);
    TestClient client(fx.port());
    std::vector<std::string> statuses;
    for (int i = 0; i < 60; ++i) {
      HttpAnswer a = poll(client, submit(client, "p", "r" + std::to_string(i)));
      REQUIRE(a.status == 200);
      statuses.emplace_back(record_of(a).at("status").as_string());
    }
    const auto errors = std::count(statuses.begin(), statuses.end(), "ERROR");
    const auto completes = std::count(statuses.begin(), statuses.end(), "COMPLETE");
    CHECK(errors + completes == 60);
    CHECK(errors >= 15);
    CHECK(completes >= 15);
    if (round == 0) first_statuses = statuses;
    if (round == 1) CHECK(statuses == first_statuses);
  }
}

TEST_CASE("control endpoints list requests and stats without being logged themselves") {
  SimOptions o = fast_options();
  o.pickup_delay = Millis{0};
  SimFixture fx(o);
  TestClient client(fx.port());
  const std::string id = submit(client, "p", "run-abc");
  poll(client, id);
  HttpAnswer log = client.get("/__sim/requests");
  REQUIRE(log.status == 200);
  json::array entries = log.json().as_array();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].at("run_id") == "run-abc");
  CHECK(entries[0].at("status") == 200);
  CHECK(entries[1].at("method") == "GET");
  CHECK(entries[0].at("received_at_ms").as_int64() > 0);
  HttpAnswer stats = client.get("/__sim/stats");
  CHECK(stats.json().at("submits") == 1);
  CHECK(stats.json().at("polls") == 1);
  CHECK(fx.sim().requests().size() == 2);
}

}  // TEST_SUITE

}  // namespace bsched::sim::test
