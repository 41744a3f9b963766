// ExecutionRecord query and queryMore: a strictly validated QueryFilter evaluated against the
// records as they are now, answered in pages of at most 100 with a queryToken for the rest.
#include "daemon/sim/sim_json.h"
#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace bsched::sim {

namespace json = boost::json;

namespace {

constexpr std::size_t k_page_size = 100;
constexpr int k_max_depth = 8;

const std::set<std::string_view> k_properties = {
    "executionId", "originalExecutionId", "account", "executionTime", "status",
    "executionType", "processName", "processId", "atomName", "atomId",
    "inboundDocumentCount", "outboundDocumentCount", "executionDuration", "message",
    "reportKey", "launcherId", "nodeId", "recordedDate"};
const std::set<std::string_view> k_time_properties = {"executionTime", "recordedDate"};
const std::set<std::string_view> k_number_properties = {
    "inboundDocumentCount", "outboundDocumentCount", "executionDuration"};

// The operators of the published ExecutionRecordSimpleExpression and how many arguments each
// takes; any other word (STARTS_WITH, lower case) is refused like the platform does.
int operator_arity(std::string_view op) {
  if (op == "BETWEEN") return 2;
  if (op == "IS_NULL" || op == "IS_NOT_NULL") return 0;
  static const std::set<std::string_view> unary = {
      "EQUALS", "NOT_EQUALS", "LIKE", "CONTAINS", "NOT_CONTAINS",
      "GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN", "LESS_THAN_OR_EQUAL"};
  return unary.count(op) ? 1 : -1;
}

bool is_integer(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<void> check_argument(std::string_view property, const json::value& arg) {
  if (!arg.is_string()) {
    return make_error(fmt::format("QueryFilter: the arguments of '{}' must be strings", property));
  }
  const std::string_view text = arg.get_string();
  if (k_time_properties.count(property) && !parse_strict_instant(text)) {
    return make_error(fmt::format(
        "QueryFilter: '{}' is not an instant of the form YYYY-MM-DDTHH:MM:SSZ", text));
  }
  if (k_number_properties.count(property) && !is_integer(text)) {
    return make_error(fmt::format("QueryFilter: '{}' needs a whole number, not '{}'", property, text));
  }
  return {};
}

Result<void> check_simple(const json::object& e) {
  BSCHED_TRY(check_keys(e, {"@type", "property", "operator", "argument"}, "QueryFilter expression"));
  const json::value* property = e.if_contains("property");
  const json::value* op = e.if_contains("operator");
  const json::value* args = e.if_contains("argument");
  if (!property || !property->is_string() || !k_properties.count(property->get_string())) {
    return make_error("QueryFilter: 'property' must name a filterable ExecutionRecord field");
  }
  if (!op || !op->is_string() || operator_arity(op->get_string()) < 0) {
    return make_error("QueryFilter: unknown or missing 'operator' (e.g. EQUALS, BETWEEN)");
  }
  const std::size_t arity = static_cast<std::size_t>(operator_arity(op->get_string()));
  if (arity == 0 && args == nullptr) return {};
  if (!args || !args->is_array() || args->get_array().size() != arity) {
    return make_error(fmt::format("QueryFilter: operator {} takes {} argument(s) in an array",
                                  std::string_view(op->get_string()), arity));
  }
  for (const json::value& a : args->get_array()) {
    BSCHED_TRY(check_argument(property->get_string(), a));
  }
  return {};
}

Result<void> check_expression(const json::value& v, int depth) {
  if (depth > k_max_depth) return make_error("QueryFilter: expressions nest too deeply");
  if (!v.is_object()) return make_error("QueryFilter: an expression must be an object");
  const json::object& e = v.get_object();
  if (!e.contains("nestedExpression")) return check_simple(e);
  BSCHED_TRY(check_keys(e, {"@type", "operator", "nestedExpression"}, "QueryFilter grouping"));
  const json::value* op = e.if_contains("operator");
  if (!op || !op->is_string() || (op->get_string() != "and" && op->get_string() != "or")) {
    return make_error("QueryFilter: a grouping operator must be lowercase \"and\" or \"or\"");
  }
  const json::value& nested = e.at("nestedExpression");
  if (!nested.is_array() || nested.get_array().empty()) {
    return make_error("QueryFilter: 'nestedExpression' must be a non-empty array");
  }
  for (const json::value& n : nested.get_array()) BSCHED_TRY(check_expression(n, depth + 1));
  return {};
}

struct SortSpec {
  std::string field = "executionTime";
  bool descending = false;
};

Result<SortSpec> check_sort(const json::value& v) {
  SortSpec sort;
  if (!v.is_object()) return make_error("QuerySort must be an object");
  BSCHED_TRY(check_keys(v.get_object(), {"@type", "sortField"}, "QuerySort"));
  const json::value* fields = v.get_object().if_contains("sortField");
  if (!fields || !fields->is_array() || fields->get_array().size() != 1) {
    return make_error("QuerySort: 'sortField' must be an array of one {fieldName, sortOrder}");
  }
  const json::value& f = fields->get_array()[0];
  if (!f.is_object()) return make_error("QuerySort: a sortField must be an object");
  BSCHED_TRY(check_keys(f.get_object(), {"@type", "fieldName", "sortOrder"}, "QuerySort.sortField"));
  const json::value* name = f.get_object().if_contains("fieldName");
  const json::value* order = f.get_object().if_contains("sortOrder");
  if (!name || !name->is_string() || !k_properties.count(name->get_string())) {
    return make_error("QuerySort: 'fieldName' must name a filterable ExecutionRecord field");
  }
  if (order && (!order->is_string() || (order->get_string() != "ASC" && order->get_string() != "DESC"))) {
    return make_error("QuerySort: 'sortOrder' must be ASC or DESC");
  }
  sort.field = std::string(name->get_string());
  sort.descending = order && order->get_string() == "DESC";
  return sort;
}

// A record as a query reads it: each property computed when the filter asks for it, so a
// record that fails on processId costs no formatted instant (record_property).
struct RecordView {
  const SimRun& run;
  SysMillis now;
  const std::string& account_id;
  std::optional<std::string> operator()(std::string_view property) const {
    return record_property(run, now, account_id, property);
  }
};

// <0, 0, >0 as `value` orders before, with, after `arg` (numbers and instants as such).
int compare(std::string_view property, const std::string& value, const std::string& arg) {
  if (k_number_properties.count(property) && is_integer(value) && is_integer(arg)) {
    const long long a = std::stoll(value), b = std::stoll(arg);
    return a < b ? -1 : (a > b ? 1 : 0);
  }
  return value.compare(arg);  // instants in one spelling order as text
}

bool matches(const json::object& e, const RecordView& record) {
  if (const json::value* nested = e.if_contains("nestedExpression")) {
    const bool all = e.at("operator").get_string() == "and";
    for (const json::value& n : nested->get_array()) {
      if (matches(n.get_object(), record) != all) return !all;
    }
    return all;
  }
  const std::string_view property = e.at("property").get_string();
  const std::string_view op = e.at("operator").get_string();
  const auto value = record(property);
  if (op == "IS_NULL") return !value;
  if (op == "IS_NOT_NULL") return value.has_value();
  if (!value) return false;
  const json::array& args = e.at("argument").get_array();
  const std::string a0(args[0].get_string());
  const int c = compare(property, *value, a0);
  if (op == "EQUALS") return c == 0;
  if (op == "NOT_EQUALS") return c != 0;
  if (op == "GREATER_THAN") return c > 0;
  if (op == "GREATER_THAN_OR_EQUAL") return c >= 0;
  if (op == "LESS_THAN") return c < 0;
  if (op == "LESS_THAN_OR_EQUAL") return c <= 0;
  if (op == "BETWEEN") return c >= 0 && compare(property, *value, std::string(args[1].get_string())) <= 0;
  if (op == "NOT_CONTAINS") return value->find(a0) == std::string::npos;
  return value->find(a0) != std::string::npos;  // CONTAINS, LIKE
}

// One page: the records of the first 100 ids, and a token for the rest when any remain.
HttpResponse answer_page(Exchange& ex, std::vector<std::string> ids, std::size_t total) {
  SimState& state = ex.state;
  json::array page;
  const std::size_t n = std::min(ids.size(), k_page_size);
  for (std::size_t i = 0; i < n; ++i) {
    page.push_back(record_json(*state.find_run(ids[i]), ex.now, state.options().account_id,
                               state.options().rest_longs));
  }
  json::object out;
  out["@type"] = "QueryResult";
  out["numberOfResults"] = total;
  out["result"] = std::move(page);
  if (ids.size() > n) {
    ids.erase(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n));
    out["queryToken"] = state.store_query_rest(std::move(ids), total);
  }
  ++state.stats().queries;
  return make_response(ex.request, http::status::ok, json::serialize(out));
}

}  // namespace

HttpResponse rest_query(Exchange& ex) {
  auto bad = [&](const Error& e) {
    return error_response(ex.request, http::status::bad_request, e.message);
  };
  auto body = parse_object(ex.request.body(), "QueryConfig");
  if (!body) return bad(body.error());
  if (auto keys = check_keys(*body, {"@type", "QueryFilter", "QuerySort"}, "QueryConfig"); !keys) {
    return bad(keys.error());
  }
  const json::value* filter = body->if_contains("QueryFilter");
  if (!filter || !filter->is_object() || !filter->get_object().contains("expression")) {
    return bad(make_error("QueryConfig: 'QueryFilter' must be an object with an 'expression'"));
  }
  if (auto keys = check_keys(filter->get_object(), {"@type", "expression"}, "QueryFilter"); !keys) {
    return bad(keys.error());
  }
  const json::value& expression = filter->get_object().at("expression");
  if (auto ok = check_expression(expression, 0); !ok) return bad(ok.error());
  SortSpec sort;
  if (const json::value* s = body->if_contains("QuerySort")) {
    auto parsed = check_sort(*s);
    if (!parsed) return bad(parsed.error());
    sort = *parsed;
  }
  std::vector<std::pair<std::string, std::string>> hits;  // sort key, request id
  for (const SimRun* run : ex.state.recorded_runs(ex.now)) {
    const RecordView record{*run, ex.now, ex.state.options().account_id};
    if (!matches(expression.get_object(), record)) continue;
    hits.emplace_back(record(sort.field).value_or(""), run->request_id);
  }
  std::stable_sort(hits.begin(), hits.end(), [&](const auto& a, const auto& b) {
    const int c = compare(sort.field, a.first, b.first);
    return sort.descending ? c > 0 : c < 0;
  });
  std::vector<std::string> ids;
  for (auto& hit : hits) ids.push_back(std::move(hit.second));
  const std::size_t total = ids.size();
  return answer_page(ex, std::move(ids), total);
}

HttpResponse rest_query_more(Exchange& ex) {
  std::string token = ex.request.body();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  const auto* rest = ex.state.find_query_rest(token);
  if (rest == nullptr) {
    return error_response(ex.request, http::status::bad_request,
                          "queryMore: unknown or expired queryToken");
  }
  return answer_page(ex, rest->ids, rest->total);
}

}  // namespace bsched::sim
