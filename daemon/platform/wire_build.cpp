// Request bodies of platform-api.md.
#include "daemon/platform/wire.h"

#include <boost/json.hpp>

#include <fmt/core.h>

namespace bsched::platform {

namespace json = boost::json;

namespace {

json::object dynamic_block(const ExecutionRequest& req) {
  json::array list;
  for (const auto& [name, value] : req.dynamic_properties)
    list.push_back(json::object{{"name", name}, {"value", value}});
  return json::object{{"DynamicProcessProperty", std::move(list)}};
}

json::object process_block(const ExecutionRequest& req) {
  json::array list;
  for (const auto& p : req.process_properties) {
    json::array values;
    for (const auto& [key, value] : p.values)
      values.push_back(json::object{{"key", key}, {"value", value}});
    list.push_back(json::object{{"componentId", p.component_id},
                                {"ProcessPropertyValue", std::move(values)}});
  }
  return json::object{{"ProcessProperty", std::move(list)}};
}

json::object equals(std::string_view property, const std::string& value) {
  return json::object{
      {"property", property}, {"operator", "EQUALS"}, {"argument", json::array{value}}};
}

// A GraphQL string literal: JSON string syntax is a subset GraphQL accepts.
std::string graphql_string(std::string_view s) { return json::serialize(json::string(s)); }

// Enum values are names; anything else could change the query, so it is dropped.
std::string graphql_enum(std::string_view s) {
  std::string out;
  for (char c : s)
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') out += c;
  return out.empty() ? "COMPLETE" : out;
}

}  // namespace

std::string execution_request_json(const ExecutionRequest& req) {
  json::object o;
  o["@type"] = "ExecutionRequest";
  o["atomId"] = req.atom_id;
  o["processId"] = req.process_id;
  // Both blocks always, an empty list when there are none: the published schema of
  // ExecutionRequest lists both as required.
  o["DynamicProcessProperties"] = dynamic_block(req);
  o["ProcessProperties"] = process_block(req);
  return json::serialize(o);
}

std::string record_query_json(const RecordQuery& q) {
  json::array nested{
      equals("processId", q.process_id),
      equals("atomId", q.atom_id),
      json::object{{"property", "executionTime"},
                   {"operator", "BETWEEN"},
                   {"argument", json::array{format_utc(q.from), format_utc(q.to)}}}};
  json::object filter{
      {"expression", json::object{{"operator", "and"}, {"nestedExpression", std::move(nested)}}}};
  json::object sort{{"sortField", json::array{json::object{{"fieldName", "executionTime"},
                                                           {"sortOrder", "ASC"}}}}};
  return json::serialize(json::object{{"QueryFilter", std::move(filter)},
                                      {"QuerySort", std::move(sort)}});
}

std::string graphql_execute_json(const ExecutionRequest& req) {
  auto query = fmt::format("mutation {{ processExecute(input: {{atomId: {}, processId: {}}}) }}",
                           graphql_string(req.atom_id), graphql_string(req.process_id));
  return json::serialize(json::object{{"query", query}});
}

std::string graphql_history_json(const std::string& process_id, sys_seconds since,
                                 std::string_view status) {
  auto query = fmt::format(
      "query {{ executionHistory(input: {{processId: {}, executionTime: {}, status: {}}}) "
      "{{ executionId status executionTime executionDuration message }} }}",
      graphql_string(process_id), graphql_string(format_utc(since)), graphql_enum(status));
  return json::serialize(json::object{{"query", query}});
}

}  // namespace bsched::platform
