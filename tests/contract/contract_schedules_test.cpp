// The contract test of the `import` calls (platform-api.md "Process schedules"): the
// BoomiScheduleClient talks to the simulator in memory (a FakeTransport that hands every
// request to sim::handle_request), and every exchange is checked against its published
// operation in tests/contract/platform_schemas.json: the method and path exist, the
// Content-Type is one the operation publishes, the body matches that media type's schema, and
// the simulator's answer matches the operation's answer schema (validate.mjs holds answers to
// it with the deviations the same document's examples make).
#include "daemon/platform/boomi_schedules.h"
#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_schedules.h"

#include "tests/contract/contract_support.h"
#include "tests/platform/client_fixture.h"

#include <doctest/doctest.h>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/json.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace bsched;
using bsched::test::ConfigTempDir;
using namespace bsched::test::contract;

namespace {

namespace json = boost::json;

const std::string k_atom = sim::k_demo_schedule_atom;
const std::string k_retry_process = "5c4e0000-0000-4000-8000-000000000005";
const std::string k_base = "https://api.test/api/rest/v1/acc-1";

json::object load_schemas() {
  std::ifstream in(k_schemas, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str()).as_object();
}

// One exchange of the client with the simulator.
struct CallExchange {
  platform::HttpRequest request;
  sim::HttpResponse response;
};

// A BoomiScheduleClient whose transport is the simulator, in memory.
struct SimScheduleClient {
  platform::test::ClientFixture fx;
  std::unique_ptr<sim::SimState> state;
  std::vector<CallExchange> exchanges;
  platform::BoomiScheduleClient client{*fx.client};

  SimScheduleClient() {
    sim::SimOptions o;
    o.account_id = "acc-1";
    o.username = "BOOMI_TOKEN.user@example.com";
    o.token = "tok-SECRET-4711";
    state = std::make_unique<sim::SimState>(o);
    fx.fake->fallback = [this](const platform::HttpRequest& r) { return forward(r); };
  }

  platform::test::SendResult forward(const platform::HttpRequest& r) {
    REQUIRE(r.url.rfind("https://api.test", 0) == 0);
    sim::HttpRequest req{r.method == "GET" ? sim::http::verb::get : sim::http::verb::post,
                         r.url.substr(std::string("https://api.test").size()), 11};
    for (const auto& [name, value] : r.headers) req.set(name, value);
    req.body() = r.body;
    req.prepare_payload();
    auto reply = sim::handle_request(*state, req, SysMillis(*parse_instant("2026-06-01T12:00:00Z")),
                                     "http://127.0.0.1:1/api/rest/v1");
    exchanges.push_back({r, reply.response});
    platform::HttpResponse out;
    out.status = reply.response.result_int();
    out.body = reply.response.body();
    for (const auto& field : reply.response)
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    return platform::test::SendResult(std::move(out));
  }

  template <class T>
  T run(boost::asio::awaitable<T> a) {
    return fx.run(std::move(a));
  }
};

std::string header(const platform::HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (boost::iequals(k, name)) return v;
  return {};
}

// The published operation of `method` + `path` (below the account); `{id}` matches one segment.
const json::object* find_operation(const json::object& schemas, const std::string& method,
                                   const std::string& path) {
  for (const auto& op : schemas.at("operations").as_array()) {
    const auto& o = op.as_object();
    if (o.at("method").as_string() != method) continue;
    std::string templ(o.at("path").as_string());
    auto brace = templ.find("{id}");
    if (brace == std::string::npos
            ? templ == path
            : path.size() > brace && path.compare(0, brace, templ, 0, brace) == 0 &&
                  path.find('/', brace) == std::string::npos)
      return &o;
  }
  return nullptr;
}

// "#/components/schemas/Name", or {"$ref": that}: Name.
std::string schema_name(const json::value& ref) {
  std::string s(ref.is_string() ? ref.as_string() : ref.as_object().at("$ref").as_string());
  return s.substr(s.rfind('/') + 1);
}

// Every call of the import against the simulator: paged queries of both objects, a query on one
// process, bulk reads with an id the platform does not know, and a switch off and on.
std::vector<CallExchange> import_exchanges() {
  SimScheduleClient c;
  auto schedules = c.run(c.client.query_schedules({k_atom, ""}));
  REQUIRE(schedules.has_value());
  REQUIRE(schedules->size() > 100);  // two pages
  CHECK(c.run(c.client.query_schedules({k_atom, k_retry_process})).has_value());
  auto statuses = c.run(c.client.query_statuses({k_atom, ""}));
  REQUIRE(statuses.has_value());
  REQUIRE(statuses->size() > 100);
  CHECK(c.run(c.client.query_statuses({k_atom, k_retry_process})).has_value());
  std::vector<std::string> schedule_ids{(*schedules)[0].id, (*schedules)[4].id, "CPS-unknown"};
  auto bulk = c.run(c.client.get_schedules(schedule_ids));
  REQUIRE(bulk.has_value());
  CHECK((*bulk)[2].status_code == 400);
  std::vector<std::string> status_ids{(*statuses)[0].id, (*statuses)[1].id, "PSS-unknown"};
  auto status_bulk = c.run(c.client.get_statuses(status_ids));
  REQUIRE(status_bulk.has_value());
  // The failed item names the id it was asked for (the introduction's Bulk GET example), so
  // its message reaches that id, not every id without an answer.
  CHECK((*status_bulk)[2].status_code == 400);
  CHECK((*status_bulk)[2].error_message == "Invalid id: PSS-unknown");
  CHECK((*status_bulk)[0].error_message.empty());
  auto off = c.run(c.client.set_enabled((*statuses)[0], false));
  REQUIRE(off.has_value());
  CHECK_FALSE(off->enabled);
  CHECK(c.run(c.client.set_enabled((*statuses)[0], true)).has_value());
  return c.exchanges;
}

// Direct requests for the answers the import does not ask for: GET by id, and the errors.
std::map<std::string, std::string> other_answers() {
  SimScheduleClient c;
  std::map<std::string, std::string> out;
  auto send = [&](sim::http::verb method, const std::string& resource, const std::string& body,
                  const std::string& type) {
    platform::HttpRequest r;
    r.method = method == sim::http::verb::get ? "GET" : "POST";
    r.url = k_base + "/" + resource;
    r.headers = {{"Accept", "application/json"},
                 {"Authorization", platform::basic_authorization("BOOMI_TOKEN.user@example.com",
                                                                 "tok-SECRET-4711")}};
    if (!type.empty()) r.headers.emplace_back("Content-Type", type);
    r.body = body;
    c.forward(r);
    return c.exchanges.back().response;
  };
  auto& store = c.state->schedules();
  const auto* retry = [&] {
    for (const auto& s : store.all())
      if (s.process_id == k_retry_process) return &s;
    return static_cast<const sim::SimSchedule*>(nullptr);
  }();
  REQUIRE(retry);
  using sim::http::verb;
  auto got = send(verb::get, "ProcessSchedules/" + retry->schedule_id, "", "");
  CHECK(got.result_int() == 200);
  out["ProcessSchedules.get_with_retry"] = got.body();
  got = send(verb::get, "ProcessScheduleStatus/" + retry->status_id, "", "");
  CHECK(got.result_int() == 200);
  out["ProcessScheduleStatus.get"] = got.body();
  auto error = [&](const std::string& name, const sim::HttpResponse& r, int status) {
    CHECK_MESSAGE(r.result_int() == status, name);
    out["Error." + name] = r.body();
  };
  error(
      "schedules_bad_filter",
      send(
          verb::post, "ProcessSchedules/query",
          R"({"QueryFilter":{"expression":{"operator":"LIKE","property":"atomId","argument":["%"]}}})",
          "application/json"),
      400);
  error("schedules_bad_token", send(verb::post, "ProcessSchedules/queryMore", "nope", "text/plain"),
        400);
  error("status_bulk_empty",
        send(verb::post, "ProcessScheduleStatus/bulk", R"({"type":"GET","request":[]})",
             "application/json"),
        400);
  error("status_unknown", send(verb::post, "ProcessScheduleStatus/PSS-x", "{}", "application/json"),
        404);
  error("schedules_update_refused",
        send(verb::post, "ProcessSchedules/" + retry->schedule_id, "{}", "application/json"), 405);
  error("status_wrong_type", send(verb::post, "ProcessScheduleStatus/query", "{}", "text/plain"),
        415);
  return out;
}

}  // namespace

TEST_SUITE("contract") {
  TEST_CASE(
      "every import call the client sends matches its published operation, and so does "
      "the simulator's answer") {
    auto schemas = load_schemas();
    auto exchanges = import_exchanges();
    ConfigTempDir tmp;
    auto dir = tmp.path() / "import";
    std::filesystem::create_directories(dir);
    std::size_t files = 0;
    std::map<std::string, int> seen;  // operationId -> calls
    std::string last_token;
    for (std::size_t i = 0; i < exchanges.size(); ++i) {
      const auto& [request, response] = exchanges[i];
      REQUIRE(request.url.rfind(k_base, 0) == 0);
      auto path = request.url.substr(k_base.size());
      const auto* op = find_operation(schemas, request.method, path);
      REQUIRE_MESSAGE(op, request.method << " " << path << " is no published operation");
      std::string id(op->at("operationId").as_string());
      INFO(id << " #" << i);
      ++seen[id];
      auto type = header(request, "Content-Type");
      const auto& bodies = op->at("requestBody").as_object();
      REQUIRE_MESSAGE(bodies.contains(type), "Content-Type '" << type << "' is not published");
      auto name = fmt::format("{}_{:02}", id, i);
      if (type == "text/plain") {
        CHECK(request.body == last_token);  // the raw token of the previous page, not JSON
        write_body(dir, "request." + id + "." + name, request.body, "txt");
      } else {
        write_body(dir, "request." + schema_name(bodies.at(type)) + "." + name, request.body);
      }
      REQUIRE(response.result_int() == 200);
      write_body(dir, "answer." + schema_name(op->at("answer")) + "." + name, response.body());
      files += 2;
      auto answer = json::parse(response.body()).as_object();
      const auto* token = answer.if_contains("queryToken");
      last_token = token ? std::string(token->as_string()) : "";
    }
    for (const auto& op : schemas.at("operations").as_array())
      CHECK_MESSAGE(seen[std::string(op.at("operationId").as_string())] > 0,
                    "no call of " << op.at("operationId").as_string());
    for (const auto& [name, body] : other_answers()) {
      write_body(dir, "answer." + name, body);
      ++files;
    }
    auto r = validate(tmp, dir);
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(count_lines_starting(r.out, "ok ") == files);
  }

  TEST_CASE("the validator holds the import's answers to the published process-schedule shapes") {
    ConfigTempDir tmp;
    auto dir = tmp.path() / "bad";
    std::filesystem::create_directories(dir);
    // A failed bulk item without the id it was asked for (the introduction's example names it).
    write_body(dir, "answer.ProcessScheduleStatusBulkResponse.failed_item_without_id",
               R"({"@type":"BulkResult","response":[{"@type":"BulkResponse","statusCode":400,)"
               R"("errorMessage":"Invalid id: x"}]})");
    // A success item without Result, and one with a failure status.
    write_body(dir, "answer.ProcessScheduleStatusBulkResponse.success_without_result",
               R"({"@type":"BulkResult","response":[{"@type":"BulkResponse","statusCode":200}]})");
    write_body(dir, "answer.ProcessSchedulesBulkResponse.result_with_error_status",
               R"({"response":[{"statusCode":500,"Result":{"id":"i","atomId":"a",)"
               R"("processId":"p","Schedule":[]}}]})");
    write_body(dir, "answer.ProcessScheduleStatus.without_enabled",
               R"({"@type":"ProcessScheduleStatus","id":"i","atomId":"a","processId":"p"})");
    write_body(dir, "answer.ProcessSchedules.invented_key",
               R"({"id":"i","atomId":"a","processId":"p","Schedule":[],"processName":"n"})");
    write_body(dir, "answer.ProcessSchedules.retry_out_of_range",
               R"({"id":"i","atomId":"a","processId":"p","Schedule":[],)"
               R"("Retry":{"maxRetry":9,"Schedule":[]}})");
    write_body(dir, "answer.ProcessSchedulesQueryResponse.rule_field_as_number",
               R"({"@type":"QueryResult","numberOfResults":1,"result":[{"id":"i","atomId":"a",)"
               R"("processId":"p","Schedule":[{"minutes":5}]}]})");
    write_body(dir, "request.ProcessScheduleStatus.enabled_as_text",
               R"({"id":"i","atomId":"a","processId":"p","enabled":"false"})");
    write_body(dir, "request.ProcessSchedulesQueryConfig.unknown_property",
               R"({"QueryFilter":{"expression":{"operator":"EQUALS","property":"processName",)"
               R"("argument":["x"]}}})");
    write_body(dir, "request.ProcessScheduleStatusBulkRequest.unknown_type",
               R"({"type":"READ","request":[{"id":"x"}]})");
    auto r = validate(tmp, dir);
    INFO(r.out);
    CHECK(r.exit_code == 1);
    CHECK(count_lines_starting(r.out, "invalid ") == 10);
  }
}
