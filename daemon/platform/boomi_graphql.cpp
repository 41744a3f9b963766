// BoomiClient's GraphQL calls (platform.api == graphql): the JWT, processExecute and
// executionHistory.
#include "daemon/platform/boomi_client.h"

#include "daemon/platform/wire.h"

#include <fmt/core.h>

#include <algorithm>

namespace bsched::platform {

using boost::asio::awaitable;

namespace {

// executionHistory needs a status: query() asks once per word it may find. ENQUEUED is left
// out: such a run has not started, so it has no executionTime inside any window yet.
constexpr const char* k_history_statuses[] = {"COMPLETE",  "COMPLETE_WARN", "ERROR",    "ABORTED",
                                              "DISCARDED", "STARTED",       "INPROCESS"};

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

awaitable<CallResult<std::string>> BoomiClient::jwt() {
  if (!m_jwt.empty() && m_clock.steady_now() - m_jwt_at < m_options.jwt_renew_after) {
    co_return m_jwt;
  }
  CallSpec spec;
  spec.request.method = "GET";
  spec.request.url = trim_slash(m_platform.jwt_url) + "/" + m_platform.account_id;
  spec.request.headers = {{"Accept", "application/json"}, {"Authorization", m_basic}};
  spec.request.idempotent = true;
  spec.endpoint = "GET auth/jwt/generate";
  spec.retry = true;
  auto r = co_await call(std::move(spec));
  if (!r) co_return r.error();
  auto token = parse_jwt_answer(r->body);
  if (!token) co_return bad_response(*r, fmt::format("JWT: {}", token.error().message));
  m_jwt = std::move(*token);
  m_jwt_at = m_clock.steady_now();
  co_return m_jwt;
}

// A GraphQL `errors` answer: UNAUTHORIZED opens the auth circuit like a 401 would.
CallError BoomiClient::graphql_error(const HttpResponse& r, std::string message, std::string code) {
  CallError e;
  e.http_status = r.status;
  e.message = code.empty() ? message : fmt::format("{} ({})", message, code);
  e.body = cap_body(r.body);
  e = scrub(std::move(e));  // before the JWT is dropped below: scrub redacts it by value
  if (code == "UNAUTHORIZED" || code == "UNAUTHENTICATED") {
    e.kind = FailureKind::auth;
    m_jwt.clear();
    on_answer(CallResult<HttpResponse>(e), false);
  } else if (code == "FORBIDDEN" || code == "BAD_USER_INPUT" || code == "GRAPHQL_VALIDATION_FAILED") {
    e.kind = FailureKind::permanent;
  } else if (code == "TOO_MANY_REQUESTS" || code == "THROTTLED") {
    e.kind = FailureKind::throttled;
  } else if (code.empty()) {
    e.kind = FailureKind::bad_response;
  } else {
    e.kind = FailureKind::retry_later;  // PLATFORM_CALL_ERROR and other server-side trouble
  }
  return e;
}

BoomiClient::CallSpec BoomiClient::graphql_call(const std::string& token, std::string body) const {
  CallSpec spec;
  spec.request.method = "POST";
  spec.request.url = m_platform.graphql_url;
  spec.request.headers = {{"Accept", "application/json"},
                          {"Content-Type", "application/json"},
                          {"Authorization", "Bearer " + token},
                          {"SPACE_GUID", m_platform.space_guid}};
  spec.request.body = std::move(body);
  spec.endpoint = "POST graphql";
  return spec;
}

awaitable<CallResult<SubmitResult>> BoomiClient::submit_graphql(const ExecutionRequest& req,
                                                               SendGate may_send) {
  auto token = co_await jwt();
  if (!token) co_return token.error();
  auto spec = graphql_call(*token, graphql_execute_json(req));
  spec.may_send = std::move(may_send);
  spec.priority = CallPriority::trigger;
  spec.trigger = true;
  auto r = co_await call(std::move(spec));
  if (!r) {
    if (r.error().kind == FailureKind::auth) m_jwt.clear();
    co_return r.error();
  }
  auto answer = parse_graphql_execute(r->body);
  if (answer) co_return *answer;
  if (!answer.error().code.empty())
    co_return graphql_error(*r, answer.error().message, answer.error().code);
  co_return uncertain_answer(
      *r, fmt::format("processExecute: {}; the trigger may have been accepted (reconcile "
                      "before sending it again)",
                      answer.error().message));
}

awaitable<CallResult<std::vector<ExecutionRecord>>> BoomiClient::query_graphql(
    const RecordQuery& q) {
  std::vector<ExecutionRecord> out;
  for (const char* status : k_history_statuses) {
    auto token = co_await jwt();
    if (!token) co_return token.error();
    auto spec = graphql_call(*token, graphql_history_json(q.process_id, q.from, status));
    spec.request.idempotent = true;
    spec.retry = true;
    auto r = co_await call(std::move(spec));
    if (!r) co_return r.error();
    auto answer = parse_graphql_history(r->body);
    if (!answer) {
      if (!answer.error().code.empty())
        co_return graphql_error(*r, answer.error().message, answer.error().code);
      co_return bad_response(*r, fmt::format("executionHistory: {}", answer.error().message));
    }
    for (auto& rec : *answer) {
      bool in_window = !rec.execution_time ||
                       (*rec.execution_time >= q.from && *rec.execution_time <= q.to);
      bool same_atom = rec.atom_id.empty() || rec.atom_id == q.atom_id;
      bool same_process = rec.process_id.empty() || rec.process_id == q.process_id;
      if (in_window && same_atom && same_process) out.push_back(std::move(rec));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.execution_time < b.execution_time;
  });
  co_return out;
}

}  // namespace bsched::platform
