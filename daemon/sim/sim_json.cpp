#include "daemon/sim/sim_json.h"

#include "daemon/sim/sim_util.h"

#include <fmt/format.h>

#include <algorithm>

namespace bsched::sim {

namespace json = boost::json;

namespace {

// The string at `key` of `o`, required non-empty when `required`.
Result<std::string> string_field(const json::object& o, std::string_view key,
                                 std::string_view where, bool non_empty) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return make_error(fmt::format("{}: '{}' is required", where, key));
  if (!v->is_string()) return make_error(fmt::format("{}: '{}' must be a string", where, key));
  std::string s(v->get_string());
  if (non_empty && s.empty()) {
    return make_error(fmt::format("{}: '{}' must not be empty", where, key));
  }
  return s;
}

// `o[wrapper]` must be an object {"<item>": [objects…]} (an optional "@type" string aside);
// answers the array.
Result<const json::array*> wrapped_array(const json::value& v, std::string_view wrapper,
                                         std::string_view item) {
  if (!v.is_object()) return make_error(fmt::format("'{}' must be an object", wrapper));
  const json::object& o = v.get_object();
  BSCHED_TRY(check_keys(o, {"@type", item}, wrapper));
  const json::value* items = o.if_contains(item);
  if (items == nullptr) return make_error(fmt::format("'{}' must hold '{}'", wrapper, item));
  if (!items->is_array()) {
    return make_error(fmt::format("'{}.{}' must be an array", wrapper, item));
  }
  for (const json::value& e : items->get_array()) {
    if (!e.is_object()) {
      return make_error(fmt::format("'{}.{}' must hold objects only", wrapper, item));
    }
  }
  return &items->get_array();
}

// DynamicProcessProperties.DynamicProcessProperty[] of {name, value}; answers the run id.
Result<std::string> check_dynamic(const json::value& v, const std::string& run_id_property) {
  BSCHED_TRY_ASSIGN(items, wrapped_array(v, "DynamicProcessProperties", "DynamicProcessProperty"));
  std::string run_id;
  for (const json::value& e : *items) {
    const json::object& p = e.get_object();
    constexpr std::string_view where = "DynamicProcessProperty";
    BSCHED_TRY(check_keys(p, {"@type", "name", "value"}, where));
    BSCHED_TRY_ASSIGN(name, string_field(p, "name", where, true));
    BSCHED_TRY_ASSIGN(value, string_field(p, "value", where, false));
    if (name == run_id_property) run_id = value;
  }
  return run_id;
}

// ProcessProperties.ProcessProperty[] of {componentId, ProcessPropertyValue[] of {key, value}}.
Result<void> check_process_properties(const json::value& v) {
  BSCHED_TRY_ASSIGN(items, wrapped_array(v, "ProcessProperties", "ProcessProperty"));
  for (const json::value& e : *items) {
    const json::object& p = e.get_object();
    constexpr std::string_view where = "ProcessProperty";
    BSCHED_TRY(check_keys(p, {"@type", "componentId", "ProcessPropertyValue"}, where));
    BSCHED_TRY(string_field(p, "componentId", where, true));
    const json::value* values = p.if_contains("ProcessPropertyValue");
    if (values == nullptr || !values->is_array()) {
      return make_error("ProcessProperty: 'ProcessPropertyValue' must be an array");
    }
    for (const json::value& kv : values->get_array()) {
      constexpr std::string_view vwhere = "ProcessPropertyValue";
      if (!kv.is_object()) return make_error("ProcessPropertyValue: items must be objects");
      BSCHED_TRY(check_keys(kv.get_object(), {"@type", "key", "value"}, vwhere));
      BSCHED_TRY(string_field(kv.get_object(), "key", vwhere, true));
      BSCHED_TRY(string_field(kv.get_object(), "value", vwhere, false));
    }
  }
  return {};
}

json::value long_value(std::int64_t n, LongStyle style) {
  if (style == LongStyle::plain) return n;
  if (style == LongStyle::string) return json::array{"Long", std::to_string(n)};
  return json::array{"Long", n};
}

}  // namespace

Result<json::object> parse_object(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return make_error(fmt::format("{}: the body is not valid JSON ({})", what, ec.message()));
  if (!v.is_object()) return make_error(fmt::format("{}: the body must be a JSON object", what));
  return std::move(v.get_object());
}

Result<void> check_keys(const json::object& o, std::initializer_list<std::string_view> allowed,
                        std::string_view where) {
  for (const auto& kv : o) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
      return make_error(fmt::format("{}: unknown field '{}'", where, std::string_view(kv.key())));
    }
  }
  return {};
}

Result<ParsedSubmit> parse_execution_request(std::string_view body,
                                             const std::string& run_id_property) {
  constexpr std::string_view where = "ExecutionRequest";
  BSCHED_TRY_ASSIGN(o, parse_object(body, where));
  BSCHED_TRY_ASSIGN(type, string_field(o, "@type", where, true));
  if (type != "ExecutionRequest") {
    return make_error(fmt::format("ExecutionRequest: '@type' must be \"ExecutionRequest\", not \"{}\"", type));
  }
  BSCHED_TRY(check_keys(o, {"@type", "atomId", "processId", "DynamicProcessProperties",
                            "ProcessProperties"}, where));
  ParsedSubmit out;
  BSCHED_TRY_ASSIGN(atom, string_field(o, "atomId", where, true));
  BSCHED_TRY_ASSIGN(process, string_field(o, "processId", where, true));
  out.atom_id = std::move(atom);
  out.process_id = std::move(process);
  // Both blocks are required by the published schema, even when empty.
  for (std::string_view block : {"DynamicProcessProperties", "ProcessProperties"}) {
    if (!o.contains(block)) {
      return make_error(fmt::format("ExecutionRequest: '{}' is required (an empty list when "
                                    "there are none)", block));
    }
  }
  BSCHED_TRY_ASSIGN(run_id, check_dynamic(o.at("DynamicProcessProperties"), run_id_property));
  out.run_id = std::move(run_id);
  BSCHED_TRY(check_process_properties(o.at("ProcessProperties")));
  out.echo = std::move(o);
  return out;
}

namespace {

// What a run's record says at `now` beyond the run's fixed fields; record_json and
// record_property both read it, so a query filters on what a poll would show.
struct RecordFacts {
  std::string status;
  bool terminal = false;
  bool discarded = false;
  bool ok = false;
  std::int64_t duration_ms = 0;
};

RecordFacts facts_at(const SimRun& run, SysMillis now) {
  RecordFacts f;
  f.status = run_status_at(run, now).value_or("STARTED");
  f.terminal = now >= run.ends_at;
  f.discarded = f.status == "DISCARDED";
  f.ok = f.status == "COMPLETE" || f.status == "COMPLETE_WARN";
  const auto elapsed = std::chrono::duration_cast<Millis>(
      (f.terminal ? run.ends_at : std::max(now, run.picked_up_at)) - run.picked_up_at);
  f.duration_ms = f.discarded ? 0 : elapsed.count();
  return f;
}

constexpr std::string_view k_execution_type = "exec_manual";
constexpr std::string_view k_process_name = "Simulated process";
constexpr std::string_view k_atom_name = "sim-runtime";

}  // namespace

json::object record_json(const SimRun& run, SysMillis now, const std::string& account_id,
                         LongStyle longs) {
  const RecordFacts f = facts_at(run, now);
  json::object r;
  r["@type"] = "ExecutionRecord";
  r["executionId"] = run.execution_id;
  r["account"] = account_id;
  r["executionTime"] = format_instant(run.picked_up_at);
  r["status"] = f.status;
  r["executionType"] = k_execution_type;
  r["processName"] = k_process_name;
  r["processId"] = run.process_id;
  r["atomName"] = k_atom_name;
  r["atomId"] = run.atom_id;
  r["inboundDocumentCount"] = f.discarded ? 0 : 1;
  r["inboundErrorDocumentCount"] = f.status == "ERROR" ? 1 : 0;
  r["outboundDocumentCount"] = f.ok ? 1 : 0;
  r["executionDuration"] = long_value(f.duration_ms, longs);
  r["inboundDocumentSize"] = long_value(f.discarded ? 0 : 1024, longs);
  r["outboundDocumentSize"] = long_value(f.ok ? 2048 : 0, longs);
  if (f.terminal) r["recordedDate"] = format_instant(run.ends_at);
  if (f.terminal && !run.message.empty()) r["message"] = run.message;
  return r;
}

std::optional<std::string> record_property(const SimRun& run, SysMillis now,
                                           const std::string& account_id,
                                           std::string_view property) {
  // The fixed fields first: they need neither the run's state nor a formatted instant.
  if (property == "processId") return run.process_id;
  if (property == "atomId") return run.atom_id;
  if (property == "executionId") return run.execution_id;
  if (property == "account") return account_id;
  if (property == "executionType") return std::string(k_execution_type);
  if (property == "processName") return std::string(k_process_name);
  if (property == "atomName") return std::string(k_atom_name);
  if (property == "executionTime") return format_instant(run.picked_up_at);
  const RecordFacts f = facts_at(run, now);
  if (property == "status") return f.status;
  if (property == "inboundDocumentCount") return std::to_string(f.discarded ? 0 : 1);
  if (property == "outboundDocumentCount") return std::to_string(f.ok ? 1 : 0);
  if (property == "executionDuration") return std::to_string(f.duration_ms);
  if (property == "recordedDate" && f.terminal) return format_instant(run.ends_at);
  if (property == "message" && f.terminal && !run.message.empty()) return run.message;
  return std::nullopt;  // a field this record does not carry (launcherId, nodeId, …)
}

}  // namespace bsched::sim
