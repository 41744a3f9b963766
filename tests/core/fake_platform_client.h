// A scripted PlatformClient for the engine tests: answers come from queues (or defaults),
// every call is recorded, nothing touches the network and nothing waits.
#pragma once

#include "base/timers.h"
#include "daemon/platform/platform_client.h"

#include <deque>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <vector>

namespace bsched::test {

class FakePlatformClient final : public platform::PlatformClient {
 public:
  using SubmitAnswer = platform::CallResult<platform::SubmitResult>;
  using PollAnswer = platform::CallResult<platform::PollResult>;
  using QueryAnswer = platform::CallResult<std::vector<platform::ExecutionRecord>>;

  // Scripted answers, taken front first. Empty queues answer: submit -> a fresh requestId,
  // poll -> `poll_default`, query -> no records.
  std::deque<SubmitAnswer> submit_answers;
  std::deque<PollAnswer> poll_answers;
  std::deque<QueryAnswer> query_answers;
  platform::PollResult poll_default;  // pending unless changed

  // Every call, in order.
  std::vector<platform::ExecutionRequest> submits;
  std::vector<std::string> polls;
  std::vector<platform::RecordQuery> queries;
  int reset_auth_calls = 0;

  // Called with each request as it is submitted (e.g. to look at the store at that moment).
  std::function<void(const platform::ExecutionRequest&)> on_submit;

  // With both set, the n-th submit (0-based) answers after submit_latency(n) on these timers.
  TimerFactory* latency_timers = nullptr;
  std::function<Millis(std::size_t)> submit_latency;

  platform::PlatformHealth health_value;
  int withheld = 0;  // submits the send gate kept back
  // When a scripted answer is an auth failure, the circuit opens until this instant.
  std::optional<SysMillis> auth_retry_at_on_401;

  template <class T>
  void note(const platform::CallResult<T>& a) {
    if (a || a.error().kind != platform::FailureKind::auth) return;
    health_value.auth_failed = true;
    health_value.last_error = a.error().message;
    health_value.auth_retry_at = auth_retry_at_on_401;
  }

  // The gate is asked as the request would leave; `withheld` counts the ones it kept back.
  boost::asio::awaitable<SubmitAnswer> submit(const platform::ExecutionRequest& req,
                                              SendGate may_send = {}) override {
    if (may_send && !may_send()) {
      ++withheld;
      platform::CallError e;
      e.kind = platform::FailureKind::withheld;
      e.message = "not sent (fake)";
      co_return e;
    }
    submits.push_back(req);
    if (on_submit) on_submit(req);
    if (latency_timers && submit_latency) {
      auto timer = latency_timers->make_timer();
      timer->expires_after(submit_latency(submits.size() - 1));
      co_await timer->wait();
    }
    if (submit_answers.empty()) {
      co_return platform::SubmitResult{fmt::format("executionrecord-{}", submits.size())};
    }
    auto a = std::move(submit_answers.front());
    submit_answers.pop_front();
    note(a);
    co_return a;
  }

  boost::asio::awaitable<PollAnswer> poll(const std::string& request_id) override {
    polls.push_back(request_id);
    if (poll_answers.empty()) co_return poll_default;
    auto a = std::move(poll_answers.front());
    poll_answers.pop_front();
    co_return a;
  }

  boost::asio::awaitable<QueryAnswer> query(const platform::RecordQuery& q) override {
    queries.push_back(q);
    if (query_answers.empty()) co_return std::vector<platform::ExecutionRecord>{};
    auto a = std::move(query_answers.front());
    query_answers.pop_front();
    co_return a;
  }

  platform::PlatformHealth health() const override { return health_value; }
  void reset_auth() override {
    ++reset_auth_calls;
    health_value = {};
  }

  // A dynamic property of the n-th submitted request ("" when absent).
  std::string property(size_t n, const std::string& name) const {
    for (const auto& [k, v] : submits.at(n).dynamic_properties) {
      if (k == name) return v;
    }
    return {};
  }
};

inline platform::CallError call_error(platform::FailureKind kind, int http = 0,
                                      std::string message = "scripted failure") {
  platform::CallError e;
  e.kind = kind;
  e.http_status = http;
  e.message = std::move(message);
  return e;
}

inline platform::PollResult record_answer(std::string status, std::string execution_id = "execution-1") {
  platform::PollResult p;
  p.kind = platform::PollResult::Kind::record;
  p.record.status = std::move(status);
  p.record.execution_id = std::move(execution_id);
  return p;
}

// A record the query API returns, executed at `executed`.
inline platform::ExecutionRecord execution_record(std::string execution_id, std::string status,
                                                  std::chrono::sys_seconds executed) {
  platform::ExecutionRecord r;
  r.execution_id = std::move(execution_id);
  r.status = std::move(status);
  r.execution_time = executed;
  return r;
}

}  // namespace bsched::test
