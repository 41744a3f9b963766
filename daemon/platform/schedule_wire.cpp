// The process-schedule JSON: request bodies and tolerant answer parsers.
#include "daemon/platform/schedule_wire.h"

#include "daemon/platform/wire_util.h"

#include <boost/json.hpp>

#include <fmt/core.h>

#include <map>

namespace bsched::platform {

namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return {};
  if (v->is_string()) return cap_text(std::string_view(v->get_string()), k_id_cap);
  if (v->is_int64() || v->is_uint64()) return json::serialize(*v);
  return {};
}

std::optional<std::string> field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_string()) return cap_text(std::string_view(v->get_string()), k_id_cap);
  if (v->is_int64() || v->is_uint64()) return json::serialize(*v);
  return std::nullopt;
}

ScheduleRule parse_rule(const json::object& o) {
  ScheduleRule r;
  r.minutes = field(o, "minutes");
  r.hours = field(o, "hours");
  r.days_of_week = field(o, "daysOfWeek");
  r.days_of_month = field(o, "daysOfMonth");
  r.months = field(o, "months");
  r.years = field(o, "years");
  return r;
}

// A rule list: an array of rule objects (a single object is read as a list of one).
std::vector<ScheduleRule> parse_rules(const json::value* v) {
  std::vector<ScheduleRule> out;
  if (!v) return out;
  if (v->is_object()) out.push_back(parse_rule(v->get_object()));
  if (v->is_array())
    for (const auto& item : v->get_array())
      if (item.is_object()) out.push_back(parse_rule(item.get_object()));
  return out;
}

std::optional<bool> boolean(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    if (v->get_string() == "true") return true;
    if (v->get_string() == "false") return false;
  }
  return std::nullopt;
}

// Why an object of an answer cannot be used, or "" when it can. A ProcessScheduleStatus
// whose enabled flag is missing or unreadable is unusable: read as false, it would pass for
// "already switched off" and be left running.
std::string no_problem(const json::object&) {
  return {};
}
std::string status_problem(const json::object& o) {
  return boolean(o, "enabled") ? std::string() : "the ProcessScheduleStatus has no enabled flag";
}

template <class T, class Parse, class Check>
AnswerResult<SchedulePage<T>> parse_page(std::string_view body, Parse parse, Check check) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return AnswerError{"the query answer is not a JSON object", {}};
  const auto& o = v->get_object();
  SchedulePage<T> page;
  if (const auto* result = o.if_contains("result")) {
    if (!result->is_array()) return AnswerError{"the query answer's result is not a list", {}};
    for (const auto& item : result->get_array()) {
      if (!item.is_object()) continue;
      if (auto problem = check(item.get_object()); !problem.empty())
        return AnswerError{"the query answer: " + problem, {}};
      page.items.push_back(parse(item.get_object()));
    }
  }
  if (const auto* t = o.if_contains("queryToken"); t && t->is_string())
    page.query_token = std::string(t->get_string());
  return page;
}

// A failed bulk item's errorMessage, or a message naming its status.
std::string failure_message(const json::object& item, int code) {
  auto message = cap_text(str(item, "errorMessage"), k_error_message_cap);
  return message.empty() ? fmt::format("failed with status {}", code) : message;
}

template <class T, class Parse, class Check>
AnswerResult<std::vector<BulkItem<T>>> parse_bulk(std::string_view body,
                                                  const std::vector<std::string>& ids, Parse parse,
                                                  Check check) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return AnswerError{"the bulk answer is not a JSON object", {}};
  const auto* response = v->get_object().if_contains("response");
  if (!response || !response->is_array())
    return AnswerError{"the bulk answer has no response list", {}};
  std::vector<BulkItem<T>> out;
  std::map<std::string, std::size_t, std::less<>> index;
  for (const auto& id : ids) {
    index.emplace(id, out.size());
    out.push_back(BulkItem<T>{id, std::nullopt, 0, {}});
  }
  std::string unmatched;  // messages of failed items that name no id
  const auto& items = response->get_array();
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_object()) continue;
    const auto& item = items[i].get_object();
    int code = 200;
    if (auto c = item.if_contains("statusCode"); c)
      code = static_cast<int>(json_int(*c).value_or(0));
    if (const auto* result = item.if_contains("Result"); result && result->is_object()) {
      auto value = parse(result->get_object());
      auto it = index.find(value.id);
      if (it == index.end()) continue;  // an object nobody asked for
      out[it->second].status_code = code;
      // A failure status wins over a Result that came with it.
      auto problem = code >= 400 ? failure_message(item, code) : check(result->get_object());
      if (!problem.empty())
        out[it->second].error_message = problem;
      else
        out[it->second].value = std::move(value);
      continue;
    }
    auto message = failure_message(item, code);
    auto it = index.find(str(item, "id"));
    if (it == index.end()) {
      auto at = item.if_contains("index") ? json_int(*item.if_contains("index")) : std::nullopt;
      if (at && *at >= 0 && static_cast<std::size_t>(*at) < out.size()) {
        out[static_cast<std::size_t>(*at)].status_code = code;
        out[static_cast<std::size_t>(*at)].error_message = message;
      } else {
        unmatched += (unmatched.empty() ? "" : "; ") + message;
      }
      continue;
    }
    out[it->second].status_code = code;
    out[it->second].error_message = message;
  }
  for (auto& item : out)
    if (!item.value && item.error_message.empty())
      item.error_message = unmatched.empty() ? "absent from the bulk answer"
                                             : cap_text(unmatched, k_error_message_cap);
  return out;
}

}  // namespace

std::string schedule_query_json(const ScheduleFilter& filter) {
  auto equals = [](const char* property, const std::string& value) {
    return json::object{{"operator", "EQUALS"},
                        {"property", property},
                        {"argument", json::array{json::string(value)}}};
  };
  json::object expression = equals("atomId", filter.atom_id);
  if (!filter.process_id.empty())
    expression = json::object{
        {"operator", "and"},
        {"nestedExpression",
         json::array{std::move(expression), equals("processId", filter.process_id)}}};
  return json::serialize(
      json::object{{"QueryFilter", json::object{{"expression", std::move(expression)}}}});
}

std::string bulk_get_json(const std::vector<std::string>& ids) {
  json::array request;
  for (const auto& id : ids) request.push_back(json::object{{"id", id}});
  return json::serialize(json::object{{"type", "GET"}, {"request", std::move(request)}});
}

std::string status_update_json(const ScheduleStatus& status, bool enabled) {
  return json::serialize(json::object{{"id", status.id},
                                      {"atomId", status.atom_id},
                                      {"processId", status.process_id},
                                      {"enabled", enabled}});
}

ProcessSchedules parse_process_schedules(const json::object& o) {
  ProcessSchedules p;
  p.id = str(o, "id");
  p.atom_id = str(o, "atomId");
  p.process_id = str(o, "processId");
  p.process_name = str(o, "processName");
  p.rules = parse_rules(o.if_contains("Schedule"));
  if (const auto* retry = o.if_contains("Retry"); retry && retry->is_object()) {
    const auto& r = retry->get_object();
    ScheduleRetry out;
    if (const auto* m = r.if_contains("maxRetry")) out.max_retry = json_int(*m);
    out.rules = parse_rules(r.if_contains("Schedule"));
    // An empty Retry object ({} or no rules and no maxRetry) retries nothing.
    if (out.max_retry || !out.rules.empty()) p.retry = std::move(out);
  }
  return p;
}

ScheduleStatus parse_schedule_status(const json::object& o) {
  ScheduleStatus s;
  s.id = str(o, "id");
  s.atom_id = str(o, "atomId");
  s.process_id = str(o, "processId");
  s.enabled = boolean(o, "enabled").value_or(false);
  return s;
}

AnswerResult<SchedulePage<ProcessSchedules>> parse_schedules_page(std::string_view body) {
  return parse_page<ProcessSchedules>(body, parse_process_schedules, no_problem);
}

AnswerResult<SchedulePage<ScheduleStatus>> parse_statuses_page(std::string_view body) {
  return parse_page<ScheduleStatus>(body, parse_schedule_status, status_problem);
}

AnswerResult<std::vector<BulkItem<ProcessSchedules>>> parse_schedules_bulk(
    std::string_view body, const std::vector<std::string>& ids) {
  return parse_bulk<ProcessSchedules>(body, ids, parse_process_schedules, no_problem);
}

AnswerResult<std::vector<BulkItem<ScheduleStatus>>> parse_statuses_bulk(
    std::string_view body, const std::vector<std::string>& ids) {
  return parse_bulk<ScheduleStatus>(body, ids, parse_schedule_status, status_problem);
}

AnswerResult<ScheduleStatus> parse_status_answer(std::string_view body) {
  auto v = parse_json(body);
  if (!v || !v->is_object()) return AnswerError{"the status answer is not a JSON object", {}};
  const auto& o = v->get_object();
  if (!boolean(o, "enabled")) return AnswerError{"the status answer has no enabled flag", {}};
  return parse_schedule_status(o);
}

}  // namespace bsched::platform
