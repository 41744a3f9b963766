// The simulator's answers, independent of the network: one HTTP request in, one Reply out
// (status, headers, body, plus the fault effects the connection must carry out). The REST
// handlers live in sim_rest.cpp, GraphQL and JWT in sim_graphql.cpp, the /__sim control
// endpoints in sim_control.cpp; handle_request() authenticates, injects faults and
// dispatches.
#pragma once

#include "daemon/sim/sim_state.h"

#include <boost/beast/http.hpp>

#include <string>
#include <string_view>

namespace bsched::sim {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;

// What the connection does with one request.
struct Reply {
  HttpResponse response;
  bool reset = false;  // close the connection abruptly (RST) instead of answering
  Millis delay{0};     // wait this long before answering (latency, slow fault)
};

// One request being answered.
struct Exchange {
  SimState& state;
  const HttpRequest& request;
  SysMillis now;
  const std::string& base_url;  // "http://127.0.0.1:PORT/api/rest/v1"
  std::size_t log_index;        // this request's entry in the request log
};

// Everything: control endpoints, auth, faults, the API. Records API requests in the log.
Reply handle_request(SimState& state, const HttpRequest& request, SysMillis now,
                     const std::string& base_url);

// A response to `request` (same HTTP version and keep-alive) with a JSON or text body.
HttpResponse make_response(const HttpRequest& request, http::status status, std::string body,
                           std::string_view content_type = "application/json");
// The platform's error answer {"message":…} (SimOptions::error_style re-renders it in
// handle_request).
HttpResponse error_response(const HttpRequest& request, http::status status,
                            std::string_view message);

// True when the request carries Basic auth for options.username:options.token.
bool basic_auth_ok(const HttpRequest& request, const SimOptions& options);
// 401 with the platform's error body and a Basic challenge (never echoing the credentials).
HttpResponse unauthorized(const HttpRequest& request);

// REST resources below /api/rest/v1/{account}/ (authenticated, account checked).
HttpResponse rest_submit(Exchange& ex);
HttpResponse rest_poll(Exchange& ex, const std::string& request_id);
HttpResponse rest_query(Exchange& ex);
HttpResponse rest_query_more(Exchange& ex);

// POST /graphql and GET /auth/jwt/generate/{account}.
HttpResponse graphql(Exchange& ex);
HttpResponse jwt_generate(Exchange& ex, const std::string& account_id);

// GET /__sim/requests, GET /__sim/stats, POST /__sim/faults (never logged, no auth).
HttpResponse control(SimState& state, const HttpRequest& request, SysMillis now);

// Reads a SimFaults from the /__sim/faults JSON body (keys as the struct's fields; slow and
// async_expiry in ms or as a duration string); absent fields keep their defaults.
Result<SimFaults> faults_from_json(std::string_view body);

}  // namespace bsched::sim
