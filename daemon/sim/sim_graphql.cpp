// GraphQL (Spaces): POST /graphql with a Bearer JWT and a SPACE_GUID header, answering the
// processExecute mutation and the executionHistory query; and GET /auth/jwt/generate/{account}.
// Errors use the GraphQL errors array: 401 for a missing or expired JWT, 400 for requests
// that cannot be read or validated, 200 with errors for failures of a valid operation.
#include "daemon/sim/sim_graphql_reader.h"
#include "daemon/sim/sim_json.h"
#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_util.h"

#include <fmt/format.h>

#include <set>

namespace bsched::sim {

namespace json = boost::json;

namespace {

const std::set<std::string_view> k_statuses = {"COMPLETE", "COMPLETE_WARN", "ERROR", "ABORTED",
                                               "DISCARDED", "STARTED", "INPROCESS"};
const std::set<std::string_view> k_record_fields = {
    "__typename", "executionId", "status", "executionTime", "recordedDate", "processId",
    "processName", "atomId", "atomName", "account", "executionType", "message",
    "inboundDocumentCount", "inboundErrorDocumentCount", "outboundDocumentCount",
    "executionDuration", "inboundDocumentSize", "outboundDocumentSize", "originalExecutionId",
    "topLevelExecutionId", "nodeId", "launcherId"};

HttpResponse gql_error(const HttpRequest& req, http::status status, std::string_view message,
                       std::string_view code) {
  json::object error;
  error["message"] = message;
  error["extensions"] = json::object{{"code", code}};
  json::object body;
  body["errors"] = json::array{std::move(error)};
  body["data"] = nullptr;
  return make_response(req, status, json::serialize(body));
}

HttpResponse gql_data(const HttpRequest& req, std::string_view field, json::value value) {
  json::object data;
  data[field] = std::move(value);
  return make_response(req, http::status::ok, json::serialize(json::object{{"data", data}}));
}

// The input object argument, with exactly the `required` string keys.
Result<json::object> input_object(const GqlField& f, std::initializer_list<std::string_view> required) {
  const json::value* input = f.arguments.if_contains("input");
  if (input == nullptr || !input->is_object() || f.arguments.size() != 1) {
    return make_error(fmt::format("{} takes one argument, input: {{…}}", f.name));
  }
  BSCHED_TRY(check_keys(input->get_object(), required, f.name + " input"));
  for (std::string_view key : required) {
    const json::value* v = input->get_object().if_contains(key);
    if (v == nullptr || !v->is_string() || v->get_string().empty()) {
      return make_error(fmt::format("{} input: '{}' is required (a non-empty string)", f.name, key));
    }
  }
  return input->get_object();
}

HttpResponse process_execute(Exchange& ex, const GqlOperation& op) {
  const HttpRequest& req = ex.request;
  if (op.type != "mutation") {
    return gql_error(req, http::status::bad_request, "processExecute is a mutation", "GRAPHQL_VALIDATION_FAILED");
  }
  if (!op.field.selection.empty()) {
    return gql_error(req, http::status::bad_request,
                     "processExecute returns a String and takes no selection set",
                     "GRAPHQL_VALIDATION_FAILED");
  }
  auto input = input_object(op.field, {"atomId", "processId"});
  if (!input) return gql_error(req, http::status::bad_request, input.error().message, "BAD_USER_INPUT");
  const std::string atom(input->at("atomId").get_string());
  const std::string process(input->at("processId").get_string());
  const SimRun& run = ex.state.add_run(process, atom, ex.now);
  json::object echo;
  echo["@type"] = "ExecutionRequest";
  echo["atomId"] = atom;
  echo["processId"] = process;
  echo["requestId"] = run.request_id;
  echo["recordUrl"] = fmt::format("{}/{}/ExecutionRecord/async/{}", ex.base_url,
                                  ex.state.options().account_id, run.request_id);
  // The platform answers the ExecutionRequest JSON as a string: clients parse it twice.
  return gql_data(req, "processExecute", json::value(json::serialize(echo)));
}

HttpResponse execution_history(Exchange& ex, const GqlOperation& op) {
  const HttpRequest& req = ex.request;
  auto invalid = [&](std::string_view message) {
    return gql_error(req, http::status::bad_request, message, "GRAPHQL_VALIDATION_FAILED");
  };
  if (op.type != "query") return invalid("executionHistory is a query");
  if (op.field.selection.empty()) return invalid("executionHistory needs a selection set");
  auto input = input_object(op.field, {"processId", "executionTime", "status"});
  if (!input) return gql_error(req, http::status::bad_request, input.error().message, "BAD_USER_INPUT");
  const std::string process(input->at("processId").get_string());
  const auto since = parse_strict_instant(input->at("executionTime").get_string());
  const std::string status(input->at("status").get_string());
  if (!since) return invalid("executionHistory input: executionTime must be YYYY-MM-DDTHH:MM:SSZ");
  if (!k_statuses.count(status)) return invalid(fmt::format("unknown status '{}'", status));
  for (const std::string& name : op.field.selection) {
    if (!k_record_fields.count(name)) {
      return invalid(fmt::format("Cannot query field '{}' on type ExecutionRecord", name));
    }
  }

  json::array out;
  for (const SimRun* run : ex.state.recorded_runs(ex.now)) {
    const json::object full =
        record_json(*run, ex.now, ex.state.options().account_id, LongStyle::string);
    const auto started = parse_strict_instant(full.at("executionTime").get_string());
    if (run->process_id != process || full.at("status").get_string() != status || !started || *started < *since) {
      continue;
    }
    json::object picked;
    for (const std::string& name : op.field.selection) {
      if (name == "__typename") {
        picked[name] = "ExecutionRecord";
        continue;
      }
      const json::value* v = full.if_contains(name == "launcherId" ? "launcherID" : name);
      picked[name] = v ? *v : json::value(nullptr);
    }
    out.push_back(std::move(picked));
  }
  ++ex.state.stats().queries;
  return gql_data(req, "executionHistory", std::move(out));
}

}  // namespace

HttpResponse graphql(Exchange& ex) {
  const HttpRequest& req = ex.request;
  const std::string_view auth = req[http::field::authorization];
  if (auth.size() < 7 || !boost::beast::iequals(auth.substr(0, 7), "Bearer ") ||
      !ex.state.jwt_valid(std::string(auth.substr(7)), ex.now)) {
    return gql_error(req, http::status::unauthorized,
                     "A valid JWT is required (Authorization: Bearer <token>)", "UNAUTHORIZED");
  }
  if (req["SPACE_GUID"].empty()) {
    return gql_error(req, http::status::bad_request, "The SPACE_GUID header is required", "FORBIDDEN");
  }
  if (!accepts_json(req[http::field::accept])) {
    return gql_error(req, http::status::not_acceptable, "Accept: application/json is required", "BAD_REQUEST");
  }
  if (media_type(req[http::field::content_type]) != "application/json") {
    return gql_error(req, http::status::unsupported_media_type, "Content-Type must be application/json", "BAD_REQUEST");
  }
  auto body = parse_object(req.body(), "GraphQL request");
  auto keys = body ? check_keys(*body, {"query", "variables", "operationName"}, "GraphQL request")
                   : Result<void>(body.error());
  if (!keys) return gql_error(req, http::status::bad_request, keys.error().message, "BAD_REQUEST");
  const json::value* query = body->if_contains("query");
  const json::value* variables = body->if_contains("variables");
  if (query == nullptr || !query->is_string() ||
      (variables != nullptr && !variables->is_object() && !variables->is_null())) {
    return gql_error(req, http::status::bad_request,
                     "The body must be {\"query\": string, \"variables\": object}", "BAD_REQUEST");
  }
  const json::object no_variables;
  auto op = parse_graphql(query->get_string(),
                          variables && variables->is_object() ? variables->get_object() : no_variables);
  if (!op) return gql_error(req, http::status::bad_request, op.error().message, "GRAPHQL_PARSE_FAILED");
  if (op->field.name == "processExecute") return process_execute(ex, *op);
  if (op->field.name == "executionHistory") return execution_history(ex, *op);
  return gql_error(req, http::status::bad_request,
                   fmt::format("Cannot query field '{}' (the simulator answers processExecute and "
                               "executionHistory)", op->field.name),
                   "GRAPHQL_VALIDATION_FAILED");
}

HttpResponse jwt_generate(Exchange& ex, const std::string& account_id) {
  if (!basic_auth_ok(ex.request, ex.state.options())) return unauthorized(ex.request);
  if (account_id != ex.state.options().account_id) {
    return error_response(ex.request, http::status::forbidden,
                          fmt::format("The user is not authorized for account '{}'", account_id));
  }
  return make_response(ex.request, http::status::ok, ex.state.issue_jwt(account_id, ex.now),
                       "text/plain");
}

}  // namespace bsched::sim
