// BoomiClient's REST calls: ExecutionRequest, ExecutionRecord/async, query + queryMore.
#include "daemon/platform/boomi_client.h"

#include "daemon/platform/classify.h"
#include "daemon/platform/wire.h"
#include "daemon/platform/wire_util.h"

#include <fmt/core.h>

#include <cctype>

namespace bsched::platform {

using boost::asio::awaitable;

std::string path_segment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

namespace {

// An AsyncOperationResult envelope that carried an error status.
CallError envelope_error(const AnswerError& a, const HttpResponse& r) {
  int code = std::atoi(a.code.c_str());
  CallError e;
  e.http_status = code;
  e.message = a.message;
  e.body = cap_body(r.body);
  if (code == 401) e.kind = FailureKind::auth;
  else if (code == 429 || code == 503) e.kind = FailureKind::throttled;
  else if (code >= 500) e.kind = FailureKind::retry_later;
  else e.kind = FailureKind::permanent;
  return e;
}

}  // namespace

awaitable<CallResult<SubmitResult>> BoomiClient::submit(const ExecutionRequest& req,
                                                       SendGate may_send) {
  if (m_platform.api == config::ApiKind::graphql) {
    co_return co_await submit_graphql(req, std::move(may_send));
  }
  co_return co_await submit_rest(req, std::move(may_send));
}

awaitable<CallResult<SubmitResult>> BoomiClient::submit_rest(const ExecutionRequest& req,
                                                            SendGate may_send) {
  CallSpec spec;
  spec.may_send = std::move(may_send);
  spec.request = rest_request("POST", "/ExecutionRequest", execution_request_json(req),
                              "application/json");
  spec.request.idempotent = false;
  spec.endpoint = "POST ExecutionRequest";
  spec.priority = CallPriority::trigger;
  spec.trigger = true;
  auto r = co_await call(std::move(spec));
  if (!r) co_return r.error();
  auto answer = parse_submit_answer(r->body);
  if (!answer)
    co_return uncertain_answer(
        *r, fmt::format("HTTP {} without a usable requestId ({}); the trigger may have been "
                        "accepted (reconcile before sending it again)",
                        r->status, answer.error().message));
  co_return *answer;
}

awaitable<CallResult<PollResult>> BoomiClient::poll(const std::string& request_id) {
  CallSpec spec;
  spec.request =
      rest_request("GET", "/ExecutionRecord/async/" + path_segment(request_id), "", "");
  spec.endpoint = "GET ExecutionRecord/async";
  spec.retry = true;
  spec.pass = {202, 204, 404, 410};
  auto r = co_await call(std::move(spec));
  if (!r) co_return r.error();
  PollResult out;
  if (r->status == 202) co_return out;  // pending
  if (r->status == 204 || r->status == 404 || r->status == 410) {
    out.kind = PollResult::Kind::gone;
    co_return out;
  }
  auto answer = parse_poll_answer(r->body);
  if (answer) co_return *answer;
  if (answer.error().code.empty())
    co_return bad_response(*r, fmt::format("poll of {}: {}", request_id, answer.error().message));
  // An envelope's 404 / 410 means the same as the HTTP status would: the result is gone.
  if (answer.error().code == "404" || answer.error().code == "410") {
    out.kind = PollResult::Kind::gone;
    co_return out;
  }
  co_return scrub(envelope_error(answer.error(), *r));
}

awaitable<CallResult<std::vector<ExecutionRecord>>> BoomiClient::query(const RecordQuery& q) {
  if (m_platform.api == config::ApiKind::graphql) co_return co_await query_graphql(q);
  co_return co_await query_rest(q);
}

awaitable<CallResult<std::vector<ExecutionRecord>>> BoomiClient::query_rest(const RecordQuery& q) {
  std::vector<ExecutionRecord> records;
  CallSpec spec;
  spec.request =
      rest_request("POST", "/ExecutionRecord/query", record_query_json(q), "application/json");
  spec.endpoint = "POST ExecutionRecord/query";
  spec.retry = true;
  for (int page = 1;; ++page) {
    auto r = co_await call(spec);
    if (!r) co_return r.error();
    auto answer = parse_query_page(r->body);
    if (!answer) co_return bad_response(*r, fmt::format("query: {}", answer.error().message));
    for (auto& rec : answer->records) records.push_back(std::move(rec));
    if (answer->query_token.empty()) co_return records;
    if (page >= m_options.max_query_pages)
      co_return bad_response(*r, fmt::format("query: more than {} pages of results",
                                             m_options.max_query_pages));
    // queryMore: the body is the raw token.
    spec.request = rest_request("POST", "/ExecutionRecord/queryMore", answer->query_token,
                                "text/plain");
    spec.endpoint = "POST ExecutionRecord/queryMore";
  }
}

awaitable<CallResult<HttpResponse>> BoomiClient::rest_exchange(std::string method,
                                                              std::string path, std::string body,
                                                              std::string content_type) {
  CallSpec spec;
  // "POST ProcessSchedules": the method and the object, never an id.
  auto object = std::string_view(path).substr(path.starts_with('/') ? 1 : 0);
  spec.endpoint = method + " " + std::string(object.substr(0, object.find('/')));
  spec.request = rest_request(std::move(method), path, std::move(body), std::move(content_type));
  spec.retry = true;
  co_return co_await call(std::move(spec));
}

}  // namespace bsched::platform
