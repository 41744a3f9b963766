// BoomiClient's shared machinery: the paced, retried, circuit-guarded exchange; the factory.
#include "daemon/platform/boomi_client.h"

#include "daemon/platform/beast_transport.h"
#include "daemon/platform/classify.h"
#include "daemon/platform/wire.h"
#include "config/escape.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace bsched::platform {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

std::string base64(std::string_view in) {
  static constexpr char k_alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += k_alphabet[(n >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned n = (unsigned char)in[i] << 16;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned n = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += k_alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

void replace_all(std::string& s, std::string_view what, std::string_view with) {
  if (what.empty()) return;
  for (auto pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + with.size()))
    s.replace(pos, what.size(), with);
}

bool base64url_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// Replaces everything shaped like a JWT (eyJ<base64url>.<base64url>.<base64url>): a server
// that echoes the Bearer header, or a JWT answer that did not parse, must not reach a log.
void redact_jwts(std::string& s) {
  for (auto at = s.find("eyJ"); at != std::string::npos; at = s.find("eyJ", at + 1)) {
    if (at > 0 && base64url_char(s[at - 1])) continue;
    auto end = at;
    int dots = 0;
    while (end < s.size() && (base64url_char(s[end]) || (s[end] == '.' && dots < 2))) {
      if (s[end] == '.') ++dots;
      ++end;
    }
    if (dots < 2) continue;
    s.replace(at, end - at, config::Secret::k_redacted);
  }
}

bool retryable(const CallError& e) {
  return e.kind == FailureKind::throttled || e.kind == FailureKind::retry_later;
}

double seconds_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::string basic_authorization(const std::string& username, const std::string& token) {
  return "Basic " + base64(username + ":" + token);
}

BoomiClient::BoomiClient(asio::io_context& io, const config::Platform& platform,
                         std::unique_ptr<HttpTransport> transport, const Clock& clock,
                         TimerFactory& timers, ClientOptions options)
    : m_io(io),
      m_platform(platform),
      m_basic(basic_authorization(platform.username, platform.token.reveal())),
      m_transport(std::move(transport)),
      m_clock(clock),
      m_timers(timers),
      m_options(options),
      m_pacer(io, clock, timers, platform.requests_per_second),
      m_registry(options.metrics ? options.metrics : std::make_shared<metrics::Registry>()),
      m_metrics(*m_registry),
      m_rng(options.seed ? options.seed : std::random_device{}()) {}

BoomiClient::~BoomiClient() {
  // The Authorization header holds the token in base64: wipe it like config::Secret does.
  for (auto& c : m_basic) *static_cast<volatile char*>(&c) = 0;
}

bool BoomiClient::update_platform(const config::Platform& platform) {
  m_platform = platform;
  m_basic = basic_authorization(platform.username, platform.token.reveal());
  m_pacer.set_rate(platform.requests_per_second);
  m_jwt.clear();
  reset_auth();
  return true;
}

void BoomiClient::reset_auth() {
  m_auth_open = false;
  m_probe_in_flight = false;
  m_auth_message.clear();
}

PlatformHealth BoomiClient::health() const {
  PlatformHealth h;
  h.auth_failed = m_auth_open;
  h.last_error = m_last_error;
  if (m_auth_open)
    h.auth_retry_at = m_clock.now() +
                      std::chrono::duration_cast<Millis>(m_auth_retry_at - m_clock.steady_now());
  return h;
}

// Fails fast while the circuit is open; lets one probe through once the interval passed.
// `probe` says whether this call already is the probe.
std::optional<CallError> BoomiClient::check_circuit(bool& probe) {
  if (!m_auth_open || probe) return std::nullopt;
  if (!m_probe_in_flight && m_clock.steady_now() >= m_auth_retry_at) {
    m_probe_in_flight = true;
    probe = true;
    return std::nullopt;
  }
  auto wait =
      std::chrono::duration_cast<std::chrono::seconds>(m_auth_retry_at - m_clock.steady_now());
  CallError e;
  e.kind = FailureKind::auth;
  e.http_status = 401;
  e.message = fmt::format(
      "authentication failed ({}); no call is sent until the credentials change{}", m_auth_message,
      m_probe_in_flight ? "" : fmt::format(" or a retry in {}s", std::max<long long>(0, wait.count())));
  return e;
}

// Records the outcome for health() and the circuit.
void BoomiClient::on_answer(const CallResult<HttpResponse>& r, bool probe) {
  if (probe) m_probe_in_flight = false;
  if (r) {
    m_last_error.clear();
    if (probe) reset_auth();
    return;
  }
  m_last_error = r.error().message;
  if (r.error().kind == FailureKind::auth) {
    m_auth_open = true;
    m_auth_retry_at = m_clock.steady_now() + m_options.auth_probe_interval;
    m_auth_message = r.error().message;
  } else if (probe && r.error().http_status != 0) {
    reset_auth();  // the platform answered without 401: the credentials work again
  }
}

void BoomiClient::note_deprecation(const std::string& endpoint, const HttpResponse& r) {
  auto deprecation = r.header("Deprecation");
  auto sunset = r.header("Sunset");
  if (deprecation.empty() && sunset.empty()) return;
  std::string name = endpoint.empty() ? "a call" : endpoint;
  for (const auto& d : m_deprecations)
    if (d.endpoint == name) return;  // once per endpoint
  DeprecationNotice n{name, header_text(deprecation), header_text(sunset),
                      header_text(r.header("Link"), 512), header_text(r.header("Warning"))};
  spdlog::warn("platform.deprecated endpoint=\"{}\" deprecation=\"{}\" sunset=\"{}\" link=\"{}\" "
               "warning=\"{}\" action=\"the platform will retire this call{}; upgrade "
               "boomi-sched before then\"",
               esc(n.endpoint), esc(n.deprecation), esc(n.sunset), esc(n.link), esc(n.warning),
               n.sunset.empty() ? "" : " at the sunset date");
  m_deprecations.push_back(std::move(n));
}

Millis BoomiClient::backoff(int attempt, const CallError& e) {
  auto cap = m_options.backoff_initial * (1LL << std::min(attempt - 1, 20));
  cap = std::min<Millis>(cap, m_options.backoff_max);
  std::uniform_int_distribution<long long> jitter(0, std::max<long long>(0, cap.count()));
  Millis d{jitter(m_rng)};
  if (e.retry_after) d = std::max(d, *e.retry_after);
  return d;
}

CallError BoomiClient::scrub(CallError e) const {
  const auto& token = m_platform.token.reveal();
  if (token.size() >= 4) {
    replace_all(e.message, token, config::Secret::k_redacted);
    replace_all(e.body, token, config::Secret::k_redacted);
  }
  auto b64 = m_basic.size() > 6 ? std::string_view(m_basic).substr(6) : std::string_view{};
  replace_all(e.message, b64, config::Secret::k_redacted);
  replace_all(e.body, b64, config::Secret::k_redacted);
  // The GraphQL JWT is a credential too: the current one by value, any other by its shape.
  if (m_jwt.size() >= 8) {
    replace_all(e.message, m_jwt, config::Secret::k_redacted);
    replace_all(e.body, m_jwt, config::Secret::k_redacted);
  }
  redact_jwts(e.message);
  redact_jwts(e.body);
  return e;
}

CallError BoomiClient::bad_response(const HttpResponse& r, std::string message) const {
  CallError e;
  e.kind = FailureKind::bad_response;
  e.http_status = r.status;
  e.message = std::move(message);
  e.body = cap_body(r.body);
  return scrub(std::move(e));
}

CallError BoomiClient::uncertain_answer(const HttpResponse& r, std::string message) const {
  auto e = bad_response(r, std::move(message));
  e.kind = FailureKind::uncertain;
  return e;
}

HttpRequest BoomiClient::rest_request(std::string method, std::string path, std::string body,
                                      std::string content_type) const {
  HttpRequest req;
  req.method = std::move(method);
  req.url = m_platform.account_base() + path;
  req.headers = {{"Accept", "application/json"}, {"Authorization", m_basic}};
  if (!content_type.empty()) req.headers.emplace_back("Content-Type", std::move(content_type));
  req.body = std::move(body);
  req.idempotent = true;
  return req;
}

awaitable<CallResult<HttpResponse>> BoomiClient::call(CallSpec spec) {
  Millis slept{0};
  for (int attempt = 1;; ++attempt) {
    bool probe = false;
    if (auto e = check_circuit(probe)) co_return *e;
    auto queued = m_clock.steady_now();
    co_await m_pacer.acquire(spec.priority);
    auto started = m_clock.steady_now();
    m_metrics.throttle_wait(seconds_between(queued, started));
    // A 401 may have arrived while this call waited for its slot.
    if (auto e = check_circuit(probe)) co_return *e;
    if (spec.may_send && !spec.may_send()) {
      CallError withheld;
      withheld.kind = FailureKind::withheld;
      withheld.message = "not sent: the send gate withheld it (no certain leader lease)";
      co_return withheld;
    }
    auto sent = co_await m_transport->send(spec.request);
    auto elapsed = seconds_between(started, m_clock.steady_now());
    if (sent) note_deprecation(spec.endpoint, *sent);
    CallResult<HttpResponse> r = [&]() -> CallResult<HttpResponse> {
      if (!sent) return scrub(classify_transport_failure(sent.error(), spec.trigger));
      int status = sent->status;
      if (status >= 300 && status < 400)
        return scrub(classify_redirect(status, sent->header("Location"), spec.endpoint));
      bool passed = std::find(spec.pass.begin(), spec.pass.end(), status) != spec.pass.end();
      if ((status >= 200 && status < 300) || passed) return std::move(*sent);
      return scrub(classify_http_failure(status, sent->header("Retry-After"), sent->body,
                                         spec.trigger, m_clock.now()));
    }();
    on_answer(r, probe);
    m_metrics.exchange(spec.endpoint, r ? std::to_string(sent->status) : failure_code(r.error()),
                       elapsed);
    if (r || !spec.retry || !retryable(r.error()) || attempt >= m_options.max_attempts)
      co_return r;
    auto delay = backoff(attempt, r.error());
    if (slept + delay > m_options.retry_budget) co_return r;
    slept += delay;
    if (r.error().kind == FailureKind::throttled) m_metrics.throttle_wait(delay.count() / 1000.0);
    co_await wait_for(delay);
  }
}

awaitable<void> BoomiClient::wait_for(Millis delay) {
  if (delay <= Millis{0}) co_return;
  auto timer = m_timers.make_timer();
  timer->expires_after(delay);
  co_await timer->wait();
}

std::unique_ptr<PlatformClient> make_platform_client(asio::io_context& io,
                                                     const config::Platform& platform,
                                                     std::unique_ptr<HttpTransport> transport,
                                                     const Clock& clock, TimerFactory& timers,
                                                     ClientOptions options) {
  return std::make_unique<BoomiClient>(io, platform, std::move(transport), clock, timers,
                                       options);
}

std::unique_ptr<PlatformClient> make_platform_client(asio::io_context& io,
                                                     const config::Platform& platform,
                                                     const Clock& clock, TimerFactory& timers,
                                                     ClientOptions options) {
  TransportOptions t;
  t.timeout = platform.timeout;
  t.ca_file = platform.ca_file;
  return make_platform_client(io, platform, std::make_unique<BeastTransport>(io, t), clock, timers,
                              std::move(options));
}

}  // namespace bsched::platform
