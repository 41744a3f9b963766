// The test-only control endpoints below /__sim/ (see simulator.h).
#include "daemon/sim/sim_json.h"
#include "daemon/sim/sim_router.h"
#include "daemon/sim/sim_schedules_api.h"

#include <fmt/format.h>

#include <map>

namespace bsched::sim {

namespace json = boost::json;

namespace {

json::array requests_json(const SimState& state) {
  json::array out;
  for (const ReceivedRequest& r : state.requests()) {
    json::object o;
    o["method"] = r.method;
    o["target"] = r.target;
    o["body"] = r.body;
    o["run_id"] = r.run_id;
    o["received_at_ms"] = r.received_at.time_since_epoch().count();
    o["status"] = r.status;
    out.push_back(std::move(o));
  }
  return out;
}

json::object stats_json(const SimState& state, SysMillis now) {
  std::map<std::string, std::int64_t> by_status;
  for (const SimRun& run : state.runs()) ++by_status[run_status_at(run, now).value_or("PENDING")];
  json::object runs;
  for (const auto& [status, n] : by_status) runs[status] = n;
  json::object o;
  o["submits"] = state.stats().submits;
  o["polls"] = state.stats().polls;
  o["queries"] = state.stats().queries;
  o["requests"] = state.requests().size();
  o["runs"] = std::move(runs);
  return o;
}

Result<double> rate_field(const json::value& v, std::string_view key) {
  if (!v.is_number()) return make_error(fmt::format("faults: '{}' must be a number", key));
  const double rate = v.to_number<double>();
  if (rate < 0 || rate > 1) {
    return make_error(fmt::format("faults: '{}' must be between 0 and 1", key));
  }
  return rate;
}

Result<std::int64_t> count_field(const json::value& v, std::string_view key) {
  if (!v.is_int64() && !v.is_uint64()) {
    return make_error(fmt::format("faults: '{}' must be a whole number", key));
  }
  const std::int64_t n = v.to_number<std::int64_t>();
  if (n < 0) return make_error(fmt::format("faults: '{}' must not be negative", key));
  return n;
}

// A duration as milliseconds (number) or a duration string ("5s").
Result<Millis> duration_field(const json::value& v, std::string_view key) {
  if (v.is_string()) {
    auto d = parse_duration(std::string_view(v.get_string()));
    if (!d) return make_error(fmt::format("faults: '{}': {}", key, d.error().message));
    return *d;
  }
  BSCHED_TRY_ASSIGN(ms, count_field(v, key));
  return Millis{ms};
}

// Sets the one SimFaults field named `key`.
Result<void> set_fault_field(SimFaults& f, std::string_view key, const json::value& v) {
  std::map<std::string_view, double*> rates{
      {"rate_503", &f.rate_503},   {"rate_429", &f.rate_429},
      {"rate_500", &f.rate_500},   {"rate_slow", &f.rate_slow},
      {"rate_reset_after_read", &f.rate_reset_after_read},
      {"rate_malformed", &f.rate_malformed}, {"rate_no_record", &f.rate_no_record}};
  if (auto it = rates.find(key); it != rates.end()) {
    BSCHED_TRY_ASSIGN(rate, rate_field(v, key));
    *it->second = rate;
  } else if (key == "burst_503" || key == "retry_after_s") {
    BSCHED_TRY_ASSIGN(n, count_field(v, key));
    (key == "burst_503" ? f.burst_503 : f.retry_after_s) = static_cast<int>(n);
  } else if (key == "slow" || key == "async_expiry") {
    BSCHED_TRY_ASSIGN(d, duration_field(v, key));
    (key == "slow" ? f.slow : f.async_expiry) = d;
  } else if (key == "only_submits") {
    if (!v.is_bool()) return make_error("faults: 'only_submits' must be true or false");
    f.only_submits = v.get_bool();
  } else {
    return make_error(fmt::format("faults: unknown field '{}'", key));
  }
  return {};
}

}  // namespace

Result<SimFaults> faults_from_json(std::string_view body) {
  BSCHED_TRY_ASSIGN(o, parse_object(body, "faults"));
  SimFaults faults;
  for (const auto& kv : o) BSCHED_TRY(set_fault_field(faults, kv.key(), kv.value()));
  return faults;
}

HttpResponse control(SimState& state, const HttpRequest& req, SysMillis now) {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get;
  if (path == "/__sim/requests" && get) {
    return make_response(req, http::status::ok, json::serialize(requests_json(state)));
  }
  if (path == "/__sim/stats" && get) {
    return make_response(req, http::status::ok, json::serialize(stats_json(state, now)));
  }
  if (path == "/__sim/schedules" && req.method() == http::verb::post)
    return schedules_control(state, req);
  if (path == "/__sim/faults" && req.method() == http::verb::post) {
    auto faults = faults_from_json(req.body());
    if (!faults) return error_response(req, http::status::bad_request, faults.error().message);
    state.set_faults(*faults);
    return make_response(req, http::status::no_content, "");
  }
  return error_response(req, http::status::not_found,
                        "Control endpoints: GET /__sim/requests, GET /__sim/stats, "
                        "POST /__sim/faults");
}

}  // namespace bsched::sim
