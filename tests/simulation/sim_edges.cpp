#include "tests/simulation/sim_edges.h"

#include <fmt/format.h>

namespace bsched::simulation {

namespace http = boost::beast::http;
using platform::TransportError;
using SendResult = Result<platform::HttpResponse, TransportError>;

boost::asio::awaitable<void> SimTransport::wait(Millis d) {
  if (d <= Millis(0)) co_return;
  auto timer = m_timers.make_timer();
  timer->expires_after(d);
  co_await timer->wait();
}

namespace {

bool is_trigger(const platform::HttpRequest& r) {
  return r.method == "POST" && r.url.ends_with("/ExecutionRequest");
}

std::string short_target(const std::string& url) {
  auto at = url.find("/v1/");
  return at == std::string::npos ? url : url.substr(at + 3);
}

platform::HttpResponse to_platform(const sim::HttpResponse& in) {
  platform::HttpResponse out;
  out.status = static_cast<int>(in.result_int());
  for (const auto& field : in) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.body = in.body();
  return out;
}

}  // namespace

sim::Reply SimTransport::deliver(const platform::HttpRequest& request) {
  auto url = platform::parse_http_url(request.url);
  sim::HttpRequest req(request.method == "POST" ? http::verb::post : http::verb::get,
                       url ? url->target : std::string("/"), 11);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();
  const auto before = m_state.runs().size();
  auto reply = sim::handle_request(m_state, req, m_hooks.platform_now(), "https://sim.test");
  for (auto i = before; i < m_state.runs().size(); ++i) {
    const auto& run = m_state.runs()[i];
    Accepted a{run.request_id, run.execution_id, run.process_id,
               m_state.requests().empty() ? std::string() : m_state.requests().back().run_id,
               run.submitted_at};
    m_hooks.on_accepted(a);
  }
  return reply;
}

boost::asio::awaitable<SendResult> SimTransport::send(platform::HttpRequest request) {
  const bool trigger = is_trigger(request);
  if (trigger && m_hooks.on_trigger) m_hooks.on_trigger();
  const double draw = uniform(m_rng);
  const NetFaults f = m_faults;  // the faults may change while this request waits
  double edge = f.refused;
  const Millis there = uniform_ms(m_rng, Millis(0), f.latency_max);
  const Millis back = uniform_ms(m_rng, Millis(0), f.latency_max);
  const auto what = fmt::format("{} {}", request.method, short_target(request.url));
  if (draw < edge) {
    co_await wait(there);
    m_hooks.log(what + " -> connect refused");
    co_return SendResult(TransportError{TransportError::Kind::connect, TransportError::Sent::no,
                                        "simulated: connection refused"});
  }
  co_await wait(there);
  if (draw < (edge += f.reset_before_read)) {
    m_hooks.log(what + " -> reset before read");
    co_return SendResult(TransportError{TransportError::Kind::io, TransportError::Sent::fully,
                                        "simulated: reset before the request was read"});
  }
  if (trigger && draw < (edge += f.trigger_4xx)) {
    co_await wait(back);
    m_hooks.log(what + " -> 400");
    platform::HttpResponse r;
    r.status = 400;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = R"({"message":"simulated refusal"})";
    co_return SendResult(std::move(r));
  }
  auto reply = deliver(request);
  if (reply.reset || draw < (edge += f.reset_after_read)) {
    co_await wait(back);
    m_hooks.log(what + " -> read, then reset");
    co_return SendResult(TransportError{TransportError::Kind::io, TransportError::Sent::fully,
                                        "simulated: reset after the request was read"});
  }
  if (draw < (edge += f.never_answered) || there + reply.delay + back >= m_timeout) {
    co_await wait(m_timeout - there);
    m_hooks.log(what + " -> read, never answered");
    co_return SendResult(TransportError{TransportError::Kind::timeout,
                                        TransportError::Sent::fully,
                                        "simulated: no answer within the timeout"});
  }
  co_await wait(reply.delay + back);
  auto out = to_platform(reply.response);
  m_hooks.log(fmt::format("{} -> {}", what, out.status));
  co_return SendResult(std::move(out));
}

}  // namespace bsched::simulation
