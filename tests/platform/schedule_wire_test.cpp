// The process-schedule JSON: request bodies exactly as platform-api.md shows them, and
// tolerant, hostile-input-proof reading of the answers.
#include "daemon/platform/schedule_wire.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

using namespace bsched::platform;
namespace json = boost::json;

TEST_SUITE("platform::schedule_wire") {
  TEST_CASE("a query filters on the runtime, and with a process on both grouped by and") {
    CHECK(json::parse(schedule_query_json({"A1", ""})) ==
          json::parse(R"({"QueryFilter":{"expression":{"operator":"EQUALS","property":"atomId","argument":["A1"]}}})"));
    CHECK(json::parse(schedule_query_json({"A1", "P1"})) ==
          json::parse(R"({"QueryFilter":{"expression":{"operator":"and","nestedExpression":[
              {"operator":"EQUALS","property":"atomId","argument":["A1"]},
              {"operator":"EQUALS","property":"processId","argument":["P1"]}]}}})"));
  }

  TEST_CASE("bulk and update bodies have the documented shape") {
    CHECK(json::parse(bulk_get_json({"a", "b"})) ==
          json::parse(R"({"type":"GET","request":[{"id":"a"},{"id":"b"}]})"));
    CHECK(json::parse(status_update_json({"S1", "A1", "P1", true}, false)) ==
          json::parse(R"({"id":"S1","atomId":"A1","processId":"P1","enabled":false})"));
  }

  TEST_CASE("a ProcessSchedules object keeps every rule field, the Retry block and absences") {
    auto page = parse_schedules_page(R"({"@type":"QueryResult","numberOfResults":2,"result":[
      {"@type":"ProcessSchedules","id":"S","atomId":"A","processId":"P","unknown":1,
       "Schedule":[{"minutes":"0-59/15","hours":"8-17","daysOfWeek":"2-6","daysOfMonth":"*",
                    "months":"*","years":"*"},{"minutes":5,"hours":"1"}],
       "Retry":{"maxRetry":"3","Schedule":[{"minutes":"*/5"}]}},
      {"id":"T","atomId":"A","processId":"Q","Schedule":[],"Retry":{}}],"queryToken":"tok"})");
    REQUIRE(page.has_value());
    CHECK(page->query_token == "tok");
    REQUIRE(page->items.size() == 2);
    const auto& p = page->items[0];
    CHECK(p.id == "S");
    REQUIRE(p.rules.size() == 2);
    CHECK(p.rules[0].days_of_week == "2-6");
    CHECK(p.rules[1].minutes == "5");
    CHECK_FALSE(p.rules[1].years.has_value());
    REQUIRE(p.retry);
    CHECK(p.retry->max_retry == 3);
    CHECK(p.retry->rules.size() == 1);
    CHECK(page->items[1].rules.empty());
    CHECK_FALSE(page->items[1].retry.has_value());  // an empty Retry retries nothing
  }

  TEST_CASE("a status's enabled flag is read as a boolean or its text") {
    auto page = parse_statuses_page(R"({"result":[{"id":"1","enabled":true},
        {"id":"2","enabled":"false"},{"id":"3","enabled":"true"}]})");
    REQUIRE(page.has_value());
    REQUIRE(page->items.size() == 3);
    CHECK(page->items[0].enabled);
    CHECK_FALSE(page->items[1].enabled);
    CHECK(page->items[2].enabled);
    CHECK(page->query_token.empty());
    CHECK((parse_status_answer(R"({"id":"1","enabled":false})")).has_value());
    CHECK_FALSE((parse_status_answer(R"({"id":"1"})")).has_value());
    CHECK_FALSE((parse_status_answer("<xml/>")).has_value());
  }

  // Read as false, such a status passed for "already switched off": the import left the
  // schedule running on the platform and recorded it as off.
  TEST_CASE("a status without a readable enabled flag is never taken for switched off") {
    for (const char* status : {R"({"id":"a"})", R"({"id":"a","enabled":"yes"})",
                               R"({"id":"a","enabled":null})", R"({"id":"a","enabled":0})"}) {
      INFO(std::string(status));
      auto page = parse_statuses_page(std::string(R"({"result":[)") + status + "]}");
      REQUIRE_FALSE(page.has_value());
      CHECK(page.error().message.find("no enabled flag") != std::string::npos);
      auto bulk = parse_statuses_bulk(
          std::string(R"({"response":[{"statusCode":200,"Result":)") + status + "}]}", {"a"});
      REQUIRE(bulk.has_value());
      CHECK_FALSE((*bulk)[0].value);
      CHECK((*bulk)[0].error_message == "the ProcessScheduleStatus has no enabled flag");
    }
  }

  TEST_CASE("bulk answers are matched on Result.id, whatever their order") {
    auto r = parse_statuses_bulk(R"({"@type":"BulkResult","response":[
        {"statusCode":200,"Result":{"id":"b","enabled":true}},
        {"statusCode":200,"Result":{"id":"a","enabled":false}},
        {"statusCode":200,"Result":{"id":"zz","enabled":false}}]})",
                                 {"a", "b"});
    REQUIRE(r.has_value());
    REQUIRE(r->size() == 2);
    CHECK((*r)[0].id == "a");
    REQUIRE((*r)[0].value);
    CHECK_FALSE((*r)[0].value->enabled);
    CHECK((*r)[1].value->enabled);
  }

  TEST_CASE("a failed bulk item carries its errorMessage to the id it names, or to the unmatched") {
    auto r = parse_statuses_bulk(R"({"response":[
        {"statusCode":200,"Result":{"id":"a","enabled":true}},
        {"statusCode":400,"errorMessage":"Invalid id b","id":"b"},
        {"statusCode":404,"errorMessage":"gone","index":2},
        {"statusCode":403,"errorMessage":"no privilege"}]})",
                                 {"a", "b", "c", "d"});
    REQUIRE(r.has_value());
    CHECK((*r)[1].error_message == "Invalid id b");
    CHECK((*r)[1].status_code == 400);
    CHECK((*r)[2].error_message == "gone");
    CHECK((*r)[3].error_message == "no privilege");
    CHECK_FALSE((*r)[3].value);
    auto missing = parse_statuses_bulk(R"({"response":[]})", {"x"});
    REQUIRE(missing.has_value());
    CHECK((*missing)[0].error_message == "absent from the bulk answer");
  }

  TEST_CASE("a bulk item with a failure status is a failure, even with a Result") {
    auto r = parse_statuses_bulk(R"({"response":[
        {"statusCode":500,"errorMessage":"internal","Result":{"id":"a","enabled":false}},
        {"statusCode":404,"Result":{"id":"b","enabled":true}},
        {"statusCode":200,"Result":{"id":"c","enabled":true}}]})",
                                 {"a", "b", "c"});
    REQUIRE(r.has_value());
    CHECK_FALSE((*r)[0].value);
    CHECK((*r)[0].status_code == 500);
    CHECK((*r)[0].error_message == "internal");
    CHECK_FALSE((*r)[1].value);
    CHECK((*r)[1].error_message == "failed with status 404");
    REQUIRE((*r)[2].value);
    CHECK((*r)[2].error_message.empty());
  }

  TEST_CASE("hostile answers are errors or empty values, never crashes") {
    CHECK_FALSE((parse_schedules_page("")).has_value());
    CHECK_FALSE((parse_schedules_page("[]")).has_value());
    CHECK_FALSE((parse_schedules_page(R"({"result":{}})")).has_value());
    CHECK_FALSE((parse_statuses_bulk(R"({"response":{}})", {"a"})).has_value());
    CHECK_FALSE((parse_statuses_bulk("{", {"a"})).has_value());
    std::string deep(10000, '[');
    CHECK_FALSE((parse_schedules_page(deep)).has_value());
    auto odd = parse_schedules_page(R"({"result":[1,"x",null,{"Schedule":"x","Retry":[]},
        {"Schedule":{"minutes":[1]},"id":{"a":1}}],"queryToken":7})");
    REQUIRE(odd.has_value());
    CHECK(odd->items.size() == 2);
    CHECK(odd->query_token.empty());
    CHECK(odd->items[1].rules.size() == 1);
    CHECK_FALSE(odd->items[1].rules[0].minutes.has_value());
    std::string long_id(100000, 'x');
    auto capped = parse_schedules_page(R"({"result":[{"id":")" + long_id + R"("}]})");
    REQUIRE(capped.has_value());
    CHECK(capped->items[0].id.size() < 400);
    auto bad_index = parse_statuses_bulk(
        R"({"response":[{"statusCode":500,"errorMessage":"x","index":-1},{"index":99}]})", {"a"});
    REQUIRE(bad_index.has_value());
    CHECK_FALSE((*bad_index)[0].value);
  }
}
