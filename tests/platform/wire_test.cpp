#include "daemon/platform/wire.h"

#include <boost/json.hpp>
#include "tests/platform/printers.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::platform;

namespace {

std::optional<std::int64_t> int_of(const char* json_text) {
  return json_int(boost::json::parse(json_text));
}

}  // namespace

TEST_SUITE("platform::wire") {
  TEST_CASE("integers arrive as numbers, numeric strings or typed pairs") {
    CHECK(int_of("3832") == 3832);
    CHECK(int_of("\"5816\"") == 5816);
    CHECK(int_of(R"(["Long", 3832])") == 3832);
    CHECK(int_of(R"(["Long", "5816"])") == 5816);
    CHECK(int_of("-7") == -7);
    CHECK(int_of("12.0") == 12);
    CHECK_FALSE(int_of("\"12abc\"").has_value());
    CHECK_FALSE(int_of("\"\"").has_value());
    CHECK_FALSE(int_of("null").has_value());
    CHECK_FALSE(int_of(R"(["Long"])").has_value());
    CHECK_FALSE(int_of(R"(["Long", ["Long", 1]])").has_value());
    CHECK_FALSE(int_of("18446744073709551615").has_value());
  }

  TEST_CASE("a full record parses every field, long fields from typed pairs") {
    auto o = boost::json::parse(R"({
      "@type":"ExecutionRecord","executionId":"execution-abc-2026.01.02","status":"COMPLETE",
      "executionTime":"2026-01-02T03:04:05Z","recordedDate":"2026-01-02T03:05:00Z",
      "processId":"p-1","processName":"Orders","atomId":"a-1","atomName":"Atom","account":"acc",
      "executionType":"exec_manual","message":"","inboundDocumentCount":3,
      "inboundErrorDocumentCount":"1","outboundDocumentCount":2,
      "executionDuration":["Long",3832],"inboundDocumentSize":["Long","5816"],
      "outboundDocumentSize":17,"originalExecutionId":"o","parentExecutionId":"pa",
      "topLevelExecutionId":"t","nodeId":"n","reportKey":"r","launcherID":"L","extra":{"x":1}})")
                 .as_object();
    auto r = parse_record(o);
    CHECK(r.execution_id == "execution-abc-2026.01.02");
    CHECK(r.status == "COMPLETE");
    CHECK(format_utc(*r.execution_time) == "2026-01-02T03:04:05Z");
    CHECK(format_utc(*r.recorded_date) == "2026-01-02T03:05:00Z");
    CHECK(r.process_name == "Orders");
    CHECK(r.execution_type == "exec_manual");
    CHECK(r.inbound_document_count == 3);
    CHECK(r.inbound_error_document_count == 1);
    CHECK(r.outbound_document_count == 2);
    CHECK(r.execution_duration_ms == 3832);
    CHECK(r.inbound_document_size == 5816);
    CHECK(r.outbound_document_size == 17);
    CHECK(r.top_level_execution_id == "t");
    CHECK(r.launcher_id == "L");
  }

  TEST_CASE("missing fields stay empty and launcherId is accepted too") {
    auto r = parse_record(boost::json::parse(R"({"launcherId":"q","executionTime":"soon"})").as_object());
    CHECK(r.launcher_id == "q");
    CHECK(r.status.empty());
    CHECK_FALSE(r.execution_time.has_value());
    CHECK_FALSE(r.execution_duration_ms.has_value());
  }

  TEST_CASE("a poll answer in an envelope yields result[0]") {
    auto p = parse_poll_answer(
        R"({"@type":"AsyncOperationResult","responseStatusCode":200,"numberOfResults":1,
            "result":[{"executionId":"e-1","status":"INPROCESS"}]})");
    REQUIRE(p);
    CHECK(p->kind == PollResult::Kind::record);
    CHECK(p->record.execution_id == "e-1");
    CHECK(p->record.status == "INPROCESS");
  }

  TEST_CASE("a bare record is accepted as a poll answer") {
    auto p = parse_poll_answer(R"({"executionId":"e-2","status":"COMPLETE"})");
    REQUIRE(p);
    CHECK(p->kind == PollResult::Kind::record);
    CHECK(p->record.execution_id == "e-2");
  }

  TEST_CASE("an envelope saying 202, or with no result, is pending") {
    for (const char* body :
         {R"({"responseStatusCode":202})", R"({"responseStatusCode":"202","result":[{"status":"X"}]})",
          R"({"@type":"AsyncOperationResult","responseStatusCode":200})",
          R"({"responseStatusCode":200,"result":[]})", R"({"result":null})"}) {
      CAPTURE(body);
      auto p = parse_poll_answer(body);
      REQUIRE(p);
      CHECK(p->kind == PollResult::Kind::pending);
    }
  }

  TEST_CASE("an envelope with responseStatusCode 400 or more is an error with that code") {
    auto p = parse_poll_answer(R"({"responseStatusCode":"403","message":"no VIEW_RESULT"})");
    REQUIRE_FALSE(p);
    CHECK(p.error().code == "403");
    CHECK(p.error().message == "no VIEW_RESULT");
  }

  TEST_CASE("a poll answer that is not JSON is an error without a code") {
    for (const char* body : {"<html>busy</html>", "", "[1,2]", "\"text\""}) {
      auto p = parse_poll_answer(body);
      REQUIRE_FALSE(p);
      CHECK(p.error().code.empty());
    }
  }

  TEST_CASE("a trigger answer succeeds only with a non-empty requestId") {
    auto ok = parse_submit_answer(
        R"({"@type":"ExecutionRequest","requestId":"executionrecord-1","recordUrl":"x"})");
    REQUIRE(ok);
    CHECK(ok->request_id == "executionrecord-1");
    CHECK_FALSE(parse_submit_answer(R"({"requestId":""})"));
    CHECK_FALSE(parse_submit_answer(R"({"recordUrl":"x"})"));
    CHECK_FALSE(parse_submit_answer("OK"));
  }

  TEST_CASE("a query page carries its records and the token of the next page") {
    auto p = parse_query_page(R"({"@type":"QueryResult","numberOfResults":2,
        "result":[{"executionId":"a"},{"executionId":"b"},7],"queryToken":"tok/+=="})");
    REQUIRE(p);
    REQUIRE(p->records.size() == 2);
    CHECK(p->records[1].execution_id == "b");
    CHECK(p->query_token == "tok/+==");
    auto last = parse_query_page(R"({"@type":"QueryResult","numberOfResults":0})");
    REQUIRE(last);
    CHECK(last->records.empty());
    CHECK(last->query_token.empty());
    CHECK_FALSE(parse_query_page(R"({"result":{}})"));
    CHECK_FALSE(parse_query_page(R"({"@type":"Error","message":"bad filter"})"));
  }

  TEST_CASE("error messages come from every documented shape and from plain text") {
    CHECK(error_message_of(R"({"@type":"Error","message":"Process not deployed"})") ==
          "Process not deployed");
    CHECK(error_message_of(R"({"error":{"message":"rate exceeded"}})") == "rate exceeded");
    CHECK(error_message_of(R"({"message":"m"})") == "m");
    CHECK(error_message_of(R"({"errors":[{"message":"g","extensions":{"code":"X"}}]})") == "g");
    CHECK(error_message_of("  Service Unavailable\r\nretry  ") == "Service Unavailable  retry");
    CHECK(error_message_of("") == "");
    CHECK(error_message_of(std::string(1000, 'x')) ==
          std::string(k_error_message_cap, 'x') + "… [cut, 1000 bytes]");
  }

  TEST_CASE("a plain-text error answer a few bytes over the cap is cut at the cap, marker after") {
    // tests/fuzz/corpus/platform_json/error_message_over_cap.json: 303 bytes that are not JSON;
    // the cut message is 320 bytes, the cap's 300 and the 20-byte marker.
    auto body = std::string(299, 'a') + "\xff\xff\xff\x86";
    auto message = error_message_of(body);
    CHECK(message == body.substr(0, k_error_message_cap) + "… [cut, 303 bytes]");
    CHECK(message.size() == 320);
  }

  TEST_CASE("raw bodies are capped for the log") {
    CHECK(cap_body("short") == "short");
    auto capped = cap_body(std::string(10000, 'y'));
    CHECK(capped == std::string(k_body_cap, 'y') + "… [cut, 10000 bytes]");
  }

  TEST_CASE("a cut server string keeps whole UTF-8 characters and says how long it was") {
    CHECK(cap_text("", 4) == "");
    CHECK(cap_text("abcd", 4) == "abcd");
    CHECK(cap_text("abcde", 4) == "abcd… [cut, 5 bytes]");
    // "é" is two bytes: a cut inside it backs up to before it.
    CHECK(cap_text("abcé", 4) == "abc… [cut, 5 bytes]");
    CHECK(cap_text("ééé", 3) == "é… [cut, 6 bytes]");
  }

  TEST_CASE("a 3 MiB message and megabyte ids in a record are cut at their caps") {
    std::string huge(3 * 1024 * 1024, 'z');
    auto body = R"({"executionId":")" + huge + R"(","status":")" + huge + R"(","message":")" +
                huge + R"(","processName":")" + huge + R"(","atomId":"atom-1"})";
    auto r = parse_poll_answer(body);
    REQUIRE(r);
    const auto& rec = r->record;
    auto marker = std::string("… [cut, ") + std::to_string(huge.size()) + " bytes]";
    CHECK(rec.execution_id == std::string(k_id_cap, 'z') + marker);
    CHECK(rec.status == std::string(k_status_cap, 'z') + marker);
    CHECK(rec.message == std::string(k_message_cap, 'z') + marker);
    CHECK(rec.process_name == std::string(k_id_cap, 'z') + marker);
    CHECK(rec.atom_id == "atom-1");
    // A cut status word is no terminal status.
    CHECK(classify_status(rec.status) == RemoteStatus::in_progress);
  }

  TEST_CASE("a requestId longer than its cap is refused, never cut") {
    auto ok = parse_submit_answer(R"({"requestId":")" + std::string(k_id_cap, 'r') + "\"}");
    REQUIRE(ok);
    CHECK(ok->request_id.size() == k_id_cap);
    auto r = parse_submit_answer(R"({"requestId":")" + std::string(k_id_cap + 1, 'r') + "\"}");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("requestId") != std::string::npos);
  }

  TEST_CASE("error messages of every shape are cut at their cap") {
    std::string huge(3 * 1024 * 1024, 'e');
    auto marker = "… [cut, " + std::to_string(huge.size()) + " bytes]";
    auto expect = std::string(k_error_message_cap, 'e') + marker;
    CHECK(error_message_of(R"({"@type":"Error","message":")" + huge + "\"}") == expect);
    CHECK(error_message_of(R"({"error":{"message":")" + huge + "\"}}") == expect);
    CHECK(error_message_of(huge) == expect);
    auto envelope = parse_poll_answer(R"({"responseStatusCode":500,"message":")" + huge + "\"}");
    REQUIRE_FALSE(envelope);
    CHECK(envelope.error().message == expect);
    auto gql = parse_graphql_execute(R"({"errors":[{"message":")" + huge +
                                     R"(","extensions":{"code":")" + huge + R"("}}]})");
    REQUIRE_FALSE(gql);
    CHECK(gql.error().message == expect);
    CHECK(gql.error().code == std::string(k_status_cap, 'e') + marker);
  }

  TEST_CASE("a long queryToken and a long JWT are kept whole: they are sent back, not shown") {
    std::string token(10000, 't');
    auto page = parse_query_page(R"({"result":[],"queryToken":")" + token + "\"}");
    REQUIRE(page);
    CHECK(page->query_token == token);
    auto jwt = parse_jwt_answer(R"({"token":")" + token + "\"}");
    REQUIRE(jwt);
    CHECK(*jwt == token);
  }

  TEST_CASE("an ExecutionRequest always sends both property blocks, empty lists when none") {
    ExecutionRequest req{"proc", "atom", {}, {}};
    CHECK(execution_request_json(req) ==
          R"({"@type":"ExecutionRequest","atomId":"atom","processId":"proc",)"
          R"("DynamicProcessProperties":{"DynamicProcessProperty":[]},)"
          R"("ProcessProperties":{"ProcessProperty":[]}})");
    req.dynamic_properties = {{"FROM", "2026-01-01"}};
    CHECK(execution_request_json(req) ==
          R"({"@type":"ExecutionRequest","atomId":"atom","processId":"proc",)"
          R"("DynamicProcessProperties":{"DynamicProcessProperty":[{"name":"FROM","value":"2026-01-01"}]},)"
          R"("ProcessProperties":{"ProcessProperty":[]}})");
    req.dynamic_properties = {{"FROM", "2026-01-01"}};
    req.process_properties = {{"comp-1", {{"k", "v\""}}}};
    CHECK(execution_request_json(req) ==
          R"({"@type":"ExecutionRequest","atomId":"atom","processId":"proc",)"
          R"("DynamicProcessProperties":{"DynamicProcessProperty":[{"name":"FROM","value":"2026-01-01"}]},)"
          R"("ProcessProperties":{"ProcessProperty":[{"componentId":"comp-1",)"
          R"("ProcessPropertyValue":[{"key":"k","value":"v\""}]}]}})");
  }

  TEST_CASE("the record query is exactly the QueryFilter of platform-api.md") {
    RecordQuery q{"p", "a", *parse_instant("2026-01-01T00:00:00Z"),
                  *parse_instant("2026-01-01T01:00:00.900Z")};
    CHECK(record_query_json(q) ==
          R"({"QueryFilter":{"expression":{"operator":"and","nestedExpression":[)"
          R"({"property":"processId","operator":"EQUALS","argument":["p"]},)"
          R"({"property":"atomId","operator":"EQUALS","argument":["a"]},)"
          R"({"property":"executionTime","operator":"BETWEEN","argument":["2026-01-01T00:00:00Z","2026-01-01T01:00:00Z"]}]}},)"
          R"("QuerySort":{"sortField":[{"fieldName":"executionTime","sortOrder":"ASC"}]}})");
  }

  TEST_CASE("the JWT answer may be bare text, a JSON string or an object") {
    CHECK(*parse_jwt_answer("eyJ.abc.def\n") == "eyJ.abc.def");
    CHECK(*parse_jwt_answer(R"("eyJ.x.y")") == "eyJ.x.y");
    CHECK(*parse_jwt_answer(R"({"token":"eyJ.t.t"})") == "eyJ.t.t");
    CHECK_FALSE(parse_jwt_answer("  "));
    CHECK_FALSE(parse_jwt_answer("<html>login</html>"));
    CHECK_FALSE(parse_jwt_answer(R"({"other":1})"));
  }

  TEST_CASE("processExecute's answer is a JSON string parsed a second time") {
    auto r = parse_graphql_execute(
        R"({"data":{"processExecute":"{\"@type\":\"ExecutionRequest\",\"requestId\":\"executionrecord-9\"}"}})");
    REQUIRE(r);
    CHECK(r->request_id == "executionrecord-9");
    auto err = parse_graphql_execute(
        R"({"errors":[{"message":"no access","extensions":{"code":"FORBIDDEN"}}],"data":null})");
    REQUIRE_FALSE(err);
    CHECK(err.error().code == "FORBIDDEN");
    CHECK(err.error().message == "no access");
    CHECK_FALSE(parse_graphql_execute(R"({"data":{"processExecute":"not json"}})"));
  }

  TEST_CASE("executionHistory yields records with string typed pairs") {
    auto r = parse_graphql_history(R"({"data":{"executionHistory":[
        {"executionId":"e","status":"ERROR","executionDuration":["Long","5816"],"message":"m"}]}})");
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK((*r)[0].execution_duration_ms == 5816);
    CHECK((*r)[0].status == "ERROR");
  }

  TEST_CASE("GraphQL bodies quote ids as string literals and keep the status an enum") {
    ExecutionRequest req{"p\"1", "a", {{"X", "y"}}, {}};
    auto body = boost::json::parse(graphql_execute_json(req)).as_object();
    CHECK(body.at("query").as_string() ==
          R"(mutation { processExecute(input: {atomId: "a", processId: "p\"1"}) })");
    auto h = boost::json::parse(graphql_history_json("p", *parse_instant("2023-01-31T15:32:00Z"),
                                                     "ERROR) { x"))
                 .as_object();
    CHECK(std::string(h.at("query").as_string())
              .find(R"(input: {processId: "p", executionTime: "2023-01-31T15:32:00Z", status: ERROR})") !=
          std::string::npos);
  }
}
