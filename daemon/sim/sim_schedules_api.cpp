// ProcessSchedules and ProcessScheduleStatus: strict request reading, platform-shaped answers.
#include "daemon/sim/sim_schedules_api.h"

#include "daemon/sim/sim_json.h"
#include "daemon/sim/sim_util.h"

#include <boost/json.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace bsched::sim {

namespace json = boost::json;

namespace {

constexpr std::size_t k_page = 100;
constexpr std::size_t k_bulk_max = 100;

json::object schedule_json(const SimSchedule& s) {
  json::object o{{"@type", "ProcessSchedules"},
                 {"id", s.schedule_id},
                 {"atomId", s.atom_id},
                 {"processId", s.process_id},
                 {"Schedule", s.rules}};
  if (!s.retry.is_null()) o["Retry"] = s.retry;
  return o;
}

json::object status_json(const SimSchedule& s) {
  return json::object{{"@type", "ProcessScheduleStatus"},
                      {"id", s.status_id},
                      {"atomId", s.atom_id},
                      {"processId", s.process_id},
                      {"enabled", s.enabled}};
}

json::object object_json(const SimSchedule& s, bool statuses) {
  return statuses ? status_json(s) : schedule_json(s);
}

struct Filter {
  std::string atom_id, process_id;
};

// EQUALS on atomId / processId, or an `and` of those (the only filters the API offers).
Result<void> read_expression(const json::value& v, Filter& f, int depth) {
  if (!v.is_object() || depth > 2) return make_error("QueryFilter: malformed expression");
  const auto& o = v.get_object();
  const auto* op = o.if_contains("operator");
  if (!op || !op->is_string()) return make_error("QueryFilter: an expression needs an operator");
  if (op->get_string() == "and") {
    BSCHED_TRY(check_keys(o, {"operator", "nestedExpression"}, "expression"));
    const auto* nested = o.if_contains("nestedExpression");
    if (!nested || !nested->is_array() || nested->get_array().empty())
      return make_error("QueryFilter: 'and' needs a nestedExpression list");
    for (const auto& e : nested->get_array()) BSCHED_TRY(read_expression(e, f, depth + 1));
    return {};
  }
  if (op->get_string() != "EQUALS")
    return make_error("QueryFilter: only EQUALS on atomId or processId, grouped by 'and'");
  BSCHED_TRY(check_keys(o, {"operator", "property", "argument"}, "expression"));
  const auto* prop = o.if_contains("property");
  const auto* arg = o.if_contains("argument");
  if (!prop || !prop->is_string() || !arg || !arg->is_array() || arg->get_array().size() != 1 ||
      !arg->get_array()[0].is_string())
    return make_error("QueryFilter: EQUALS needs a property and one string argument");
  std::string value(arg->get_array()[0].get_string());
  if (prop->get_string() == "atomId") f.atom_id = value;
  else if (prop->get_string() == "processId") f.process_id = value;
  else return make_error("QueryFilter: the filterable properties are atomId and processId");
  return {};
}

HttpResponse bad(Exchange& ex, std::string_view message) {
  return error_response(ex.request, http::status::bad_request, message);
}

HttpResponse page(Exchange& ex, std::vector<std::size_t> positions, bool statuses) {
  auto& store = ex.state.schedules();
  json::array result;
  std::size_t n = std::min(positions.size(), k_page);
  for (std::size_t i = 0; i < n; ++i) result.push_back(object_json(store.all()[positions[i]], statuses));
  json::object out{{"@type", "QueryResult"}, {"numberOfResults", positions.size()}};
  out["result"] = std::move(result);
  if (positions.size() > n) {
    positions.erase(positions.begin(), positions.begin() + static_cast<std::ptrdiff_t>(n));
    out["queryToken"] = store.store_rest(std::move(positions), statuses);
  }
  ++ex.state.stats().queries;
  return make_response(ex.request, http::status::ok, json::serialize(out));
}

HttpResponse query(Exchange& ex, bool statuses) {
  auto body = parse_object(ex.request.body(), "QueryFilter");
  if (!body) return bad(ex, body.error().message);
  const auto* qf = body->if_contains("QueryFilter");
  if (!qf || !qf->is_object() || !qf->get_object().if_contains("expression"))
    return bad(ex, "QueryFilter: an expression is required");
  Filter f;
  if (auto r = read_expression(qf->get_object().at("expression"), f, 0); !r)
    return bad(ex, r.error().message);
  std::vector<std::size_t> positions;
  const auto& all = ex.state.schedules().all();
  for (std::size_t i = 0; i < all.size(); ++i)
    if ((f.atom_id.empty() || all[i].atom_id == f.atom_id) &&
        (f.process_id.empty() || all[i].process_id == f.process_id))
      positions.push_back(i);
  return page(ex, std::move(positions), statuses);
}

HttpResponse query_more(Exchange& ex, bool statuses) {
  const auto* rest = ex.state.schedules().find_rest(ex.request.body());
  if (!rest || rest->statuses != statuses)
    return bad(ex, "queryMore: unknown or expired queryToken");
  return page(ex, rest->positions, statuses);
}

// Items in reverse order; a found object's item has no id or index (clients must match on
// Result.id), an unknown id's item names it, as the published Bulk GET example shows.
HttpResponse bulk(Exchange& ex, bool statuses) {
  auto body = parse_object(ex.request.body(), "bulk request");
  if (!body) return bad(ex, body.error().message);
  if (auto k = check_keys(*body, {"type", "request"}, "bulk request"); !k)
    return bad(ex, k.error().message);
  const auto* type = body->if_contains("type");
  const auto* request = body->if_contains("request");
  if (!type || !type->is_string() || type->get_string() != "GET" || !request || !request->is_array())
    return bad(ex, "bulk request: {\"type\":\"GET\",\"request\":[{\"id\":…}]} expected");
  if (request->get_array().size() > k_bulk_max || request->get_array().empty())
    return bad(ex, "bulk request: 1 to 100 ids");
  json::array response;
  auto& store = ex.state.schedules();
  for (const auto& item : request->get_array()) {
    const auto* id = item.is_object() ? item.get_object().if_contains("id") : nullptr;
    if (!id || !id->is_string()) return bad(ex, "bulk request: every item needs a string id");
    std::string_view key(id->get_string());
    auto* s = statuses ? store.by_status_id(key) : store.by_schedule_id(key);
    if (s) {
      response.push_back(json::object{{"@type", "BulkResponse"}, {"statusCode", 200},
                                      {"Result", object_json(*s, statuses)}});
    } else {
      response.push_back(json::object{
          {"@type", "BulkResponse"}, {"id", key}, {"statusCode", 400},
          {"errorMessage", fmt::format("Invalid id: {}", key)}});
    }
  }
  std::reverse(response.begin(), response.end());
  return make_response(ex.request, http::status::ok,
                       json::serialize(json::object{{"@type", "BulkResult"},
                                                    {"response", std::move(response)}}));
}

HttpResponse update(Exchange& ex, std::string_view id) {
  auto& store = ex.state.schedules();
  auto* s = store.by_status_id(id);
  if (!s) return error_response(ex.request, http::status::not_found, "No such ProcessScheduleStatus");
  auto body = parse_object(ex.request.body(), "ProcessScheduleStatus");
  if (!body) return bad(ex, body.error().message);
  if (auto k = check_keys(*body, {"@type", "id", "atomId", "processId", "enabled"},
                          "ProcessScheduleStatus");
      !k)
    return bad(ex, k.error().message);
  const auto* enabled = body->if_contains("enabled");
  if (!enabled || !enabled->is_bool()) return bad(ex, "ProcessScheduleStatus: enabled is required");
  auto field = [&](const char* key) {
    const auto* v = body->if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  if (field("id") != s->status_id || field("atomId") != s->atom_id ||
      field("processId") != s->process_id)
    return bad(ex, "ProcessScheduleStatus: id, atomId and processId must match the object");
  auto fault = store.next_update_fault();
  if (fault == "503")
    return error_response(ex.request, http::status::service_unavailable,
                          "The server is too busy or the rate limit was exceeded (simulated)");
  s->enabled = enabled->get_bool();
  if (fault == "timeout") store.delay_answer();
  return make_response(ex.request, http::status::ok, json::serialize(status_json(*s)));
}

HttpResponse method_not_allowed(Exchange& ex, std::string_view message) {
  return error_response(ex.request, http::status::method_not_allowed, message);
}

}  // namespace

bool schedule_resource(Exchange& ex, const std::vector<std::string_view>& segs,
                       HttpResponse& out) {
  if (segs.empty() || (segs[0] != "ProcessSchedules" && segs[0] != "ProcessScheduleStatus"))
    return false;
  const bool statuses = segs[0] == "ProcessScheduleStatus";
  const bool post = ex.request.method() == http::verb::post;
  const bool get = ex.request.method() == http::verb::get;
  const auto type = media_type(ex.request[http::field::content_type]);
  if (segs.size() != 2 || segs[1].empty()) {
    out = error_response(ex.request, http::status::not_found, "No such resource");
  } else if (post && (segs[1] == "query" || segs[1] == "bulk") && type != "application/json") {
    out = error_response(ex.request, http::status::unsupported_media_type,
                         "Content-Type must be application/json");
  } else if (post && segs[1] == "queryMore" && type != "text/plain") {
    out = error_response(ex.request, http::status::unsupported_media_type,
                         "Content-Type must be text/plain");
  } else if (post && segs[1] == "query") {
    out = query(ex, statuses);
  } else if (post && segs[1] == "queryMore") {
    out = query_more(ex, statuses);
  } else if (post && segs[1] == "bulk") {
    out = bulk(ex, statuses);
  } else if (get) {
    auto& store = ex.state.schedules();
    auto* s = statuses ? store.by_status_id(segs[1]) : store.by_schedule_id(segs[1]);
    out = s ? make_response(ex.request, http::status::ok,
                            json::serialize(object_json(*s, statuses)))
            : error_response(ex.request, http::status::not_found, "No such object");
  } else if (post && statuses) {
    out = type == "application/json"
              ? update(ex, segs[1])
              : error_response(ex.request, http::status::unsupported_media_type,
                               "Content-Type must be application/json");
  } else if (post) {
    // The real call "clears and updates" a process's schedules: no client of ours may send it.
    out = method_not_allowed(ex, "POST /ProcessSchedules/{id} clears a process's schedules; the "
                                 "simulator refuses it");
  } else {
    out = method_not_allowed(ex, "Method not allowed here");
  }
  return true;
}

HttpResponse schedules_control(SimState& state, const HttpRequest& request) {
  auto r = state.schedules().set_faults(request.body());
  if (!r) return error_response(request, http::status::bad_request, r.error().message);
  return make_response(request, http::status::no_content, "");
}

}  // namespace bsched::sim
