#include "daemon/sim/sim_router.h"

#include "daemon/sim/sim_schedules_api.h"
#include "daemon/sim/sim_util.h"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <vector>

namespace bsched::sim {

namespace {

constexpr std::size_t k_logged_body_cap = 64 * 1024;
constexpr std::string_view k_rest_prefix = "/api/rest/v1/";
constexpr std::string_view k_jwt_prefix = "/auth/jwt/generate/";

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

HttpResponse method_not_allowed(const HttpRequest& req, std::string_view allow) {
  HttpResponse res = error_response(
      req, http::status::method_not_allowed,
      fmt::format("Method {} is not allowed here (allowed: {})",
                  std::string_view(req.method_string()), allow));
  res.set(http::field::allow, allow);
  return res;
}

// 415 unless the request's Content-Type is `type` (parameters such as charset allowed).
std::optional<HttpResponse> require_content_type(const HttpRequest& req, std::string_view type) {
  if (media_type(req[http::field::content_type]) == type) return std::nullopt;
  return error_response(req, http::status::unsupported_media_type,
                        fmt::format("Content-Type must be {}", type));
}

HttpResponse rest_resource(Exchange& ex, const std::vector<std::string_view>& segs) {
  const HttpRequest& req = ex.request;
  const bool post = req.method() == http::verb::post;
  if (segs.size() == 1 && segs[0] == "ExecutionRequest") {
    if (!post) return method_not_allowed(req, "POST");
    if (auto bad = require_content_type(req, "application/json")) return *bad;
    return rest_submit(ex);
  }
  if (segs.size() == 3 && segs[0] == "ExecutionRecord" && segs[1] == "async" && !segs[2].empty()) {
    if (req.method() != http::verb::get) return method_not_allowed(req, "GET");
    return rest_poll(ex, std::string(segs[2]));
  }
  if (segs.size() == 2 && segs[0] == "ExecutionRecord" && segs[1] == "query") {
    if (!post) return method_not_allowed(req, "POST");
    if (auto bad = require_content_type(req, "application/json")) return *bad;
    return rest_query(ex);
  }
  if (segs.size() == 2 && segs[0] == "ExecutionRecord" && segs[1] == "queryMore") {
    if (!post) return method_not_allowed(req, "POST");
    if (auto bad = require_content_type(req, "text/plain")) return *bad;
    return rest_query_more(ex);
  }
  if (HttpResponse res; schedule_resource(ex, segs, res)) return res;
  return error_response(req, http::status::not_found,
                        fmt::format("No such resource: {}", std::string_view(req.target())));
}

// Below /api/rest/v1/: credentials (401), then the account (403), then Accept (406).
HttpResponse rest(Exchange& ex, std::string_view rest_path) {
  const HttpRequest& req = ex.request;
  std::vector<std::string_view> segs = split_path(rest_path);
  if (!basic_auth_ok(req, ex.state.options())) return unauthorized(req);
  if (segs.empty() || segs[0] != ex.state.options().account_id) {
    return error_response(req, http::status::forbidden,
                          fmt::format("The user is not authorized for account '{}'",
                                      segs.empty() ? std::string_view() : segs[0]));
  }
  if (!accepts_json(req[http::field::accept])) {
    return error_response(req, http::status::not_acceptable,
                          "Accept: application/json is required (the API answers XML otherwise)");
  }
  segs.erase(segs.begin());
  return rest_resource(ex, segs);
}

HttpResponse route(Exchange& ex, std::string_view path) {
  const HttpRequest& req = ex.request;
  if (path.starts_with(k_rest_prefix)) return rest(ex, path.substr(k_rest_prefix.size()));
  if (path == "/graphql") {
    if (req.method() != http::verb::post) return method_not_allowed(req, "POST");
    return graphql(ex);
  }
  if (path.starts_with(k_jwt_prefix)) {
    if (req.method() != http::verb::get) return method_not_allowed(req, "GET");
    return jwt_generate(ex, std::string(path.substr(k_jwt_prefix.size())));
  }
  return error_response(req, http::status::not_found,
                        fmt::format("No such resource: {}", std::string_view(req.target())));
}

// The answer to a fault that rejects the request without acting on it, if `fault` is one.
std::optional<HttpResponse> rejecting_fault(const HttpRequest& req, FaultKind fault,
                                            const SimFaults& faults) {
  switch (fault) {
    case FaultKind::unavailable_503:
      return error_response(req, http::status::service_unavailable,
                            "The Boomi server is currently unavailable or your account's rate "
                            "limits have been exceeded. Retry later. (simulated)");
    case FaultKind::throttled_429: {
      HttpResponse res = error_response(req, http::status::too_many_requests,
                                        "Too many requests (simulated)");
      res.set(http::field::retry_after, std::to_string(faults.retry_after_s));
      return res;
    }
    case FaultKind::internal_500:
      return error_response(req, http::status::internal_server_error,
                            "Internal server error (simulated)");
    default:
      return std::nullopt;
  }
}

// Re-renders a {"message":…} error answer in another documented shape.
void restyle_error(HttpResponse& res, ErrorStyle style) {
  if (style == ErrorStyle::message || res.result_int() < 400) return;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(res.body(), ec);
  if (ec || !v.is_object() || v.get_object().size() != 1) return;
  const boost::json::value* message = v.get_object().if_contains("message");
  if (message == nullptr || !message->is_string()) return;
  res.body() = error_body(message->get_string(), style);
  res.prepare_payload();
}

}  // namespace

bool basic_auth_ok(const HttpRequest& req, const SimOptions& options) {
  const std::string_view value = req[http::field::authorization];
  if (value.size() < 6 || !boost::beast::iequals(value.substr(0, 6), "Basic ")) return false;
  const auto decoded = base64_decode(value.substr(6));
  if (!decoded) return false;
  // "user:token", compared in place (this runs for every request).
  const std::string_view d = *decoded;
  return d.size() == options.username.size() + 1 + options.token.size() &&
         d.starts_with(options.username) && d[options.username.size()] == ':' &&
         d.ends_with(options.token);
}

HttpResponse unauthorized(const HttpRequest& req) {
  // Never echo the Authorization value: it holds the credentials.
  HttpResponse res = error_response(req, http::status::unauthorized,
                                    "Authentication failed: check the API user name and token");
  res.set(http::field::www_authenticate, "Basic realm=\"Boomi Platform API\"");
  return res;
}

HttpResponse make_response(const HttpRequest& req, http::status status, std::string body,
                           std::string_view content_type) {
  HttpResponse res{status, req.version()};
  res.set(http::field::server, "boomi-sched-sim");
  if (!body.empty()) res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

HttpResponse error_response(const HttpRequest& req, http::status status,
                            std::string_view message) {
  return make_response(req, status, error_body(message), "application/json");
}

Reply handle_request(SimState& state, const HttpRequest& req, SysMillis now,
                     const std::string& base_url) {
  const std::string_view target = req.target();
  const std::string_view path = target.substr(0, target.find('?'));
  Reply reply;
  if (path.starts_with("/__sim/")) {
    reply.response = control(state, req, now);
    return reply;
  }
  ReceivedRequest entry;
  entry.method = std::string(req.method_string());
  entry.target = std::string(target);
  entry.body = req.body().substr(0, k_logged_body_cap);
  entry.received_at = now;
  Exchange ex{state, req, now, base_url, state.log_request(std::move(entry))};

  const bool is_submit = req.method() == http::verb::post && path.ends_with("/ExecutionRequest");
  const FaultKind fault = state.over_rate_limit(now) ? FaultKind::unavailable_503
                                                     : state.decide_fault(is_submit);
  reply.delay = state.options().latency;
  if (auto rejected = rejecting_fault(req, fault, state.options().faults)) {
    reply.response = std::move(*rejected);
  } else {
    reply.response = route(ex, path);
    if (fault == FaultKind::slow) reply.delay += state.options().faults.slow;
    reply.delay += state.schedules().take_delay();  // a schedule update's "timeout" fault
    if (fault == FaultKind::reset) reply.reset = true;
    if (fault == FaultKind::malformed && reply.response.result() == http::status::ok) {
      // A cut-off body: a truncated JSON object is never valid JSON.
      std::string& body = reply.response.body();
      body = body.size() > 2 ? body.substr(0, body.size() / 2) : std::string("{");
      reply.response.prepare_payload();
    }
  }
  restyle_error(reply.response, state.options().error_style);
  state.logged(ex.log_index).status = reply.reset ? 0 : static_cast<int>(reply.response.result_int());
  return reply;
}

}  // namespace bsched::sim
