// BoomiClient: PlatformClient over an HttpTransport, one per account (platform-api.md).
//
// Pacing: every call (triggers, polls, queries, JWT renewals) goes through one Pacer at
// platform.requests_per_second; waiting triggers go before waiting polls and queries.
//
// Retries — who owns what:
// - submit() is never retried inside the client. The daemon's run tracker owns submit retries
//   (RetryPolicy): it calls submit() again after retry_later / throttled (honouring
//   CallError::retry_after), fails the run on permanent, and reconciles through query() after
//   uncertain. Any unexpected answer to a trigger — a 2xx without a usable requestId, a
//   gateway's 502/504, a garbled or oversized answer — is uncertain, never retry_later.
// - poll() and query() retry throttled (429/503, honouring Retry-After), 500/502/504 and
//   transport failures themselves, with full-jitter backoff, at most
//   ClientOptions::max_attempts times and within retry_budget of sleeping; then they return
//   the last error.
//
// Auth circuit: a 401 opens it. While open every call fails at once with FailureKind::auth
// without touching the network, until reset_auth() / update_platform() or until
// auth_probe_interval has passed; then exactly one call goes out as a probe: success closes
// the circuit, another 401 keeps it open for another interval.
//
// GraphQL (platform.api == graphql): submit() uses processExecute (Bearer JWT from
// jwt_url/{account}, renewed before its 5-minute life ends, plus SPACE_GUID); properties
// cannot be passed that way and are dropped. poll() uses the REST async call (GraphQL has no
// lookup by requestId); query() asks executionHistory once per status word and keeps the
// records inside the window.
//
// Redirects are never followed: a 3xx (301/308 for a retired object) is a permanent failure
// naming the Location, so the credentials never go to another URL. Deprecation / Sunset
// headers on any answer are logged once per endpoint (platform.deprecated, a warning) and kept
// in deprecations().
//
// Credentials: the token is read from config::Platform::token only to build the
// Authorization header; it never appears in a log line, an error message or CallError::body.
//
// Everything runs on the io_context given; the client must outlive every call it started.
#pragma once

#include "config/config.h"
#include "daemon/platform/http_transport.h"
#include "daemon/platform/pacer.h"
#include "daemon/platform/request_metrics.h"
#include "daemon/platform/platform_client.h"

#include <boost/asio/io_context.hpp>

#include <vector>
#include <memory>
#include <random>

namespace bsched::platform {


struct ClientOptions {
  int max_attempts = 4;                               // polls and queries, the first included
  Millis backoff_initial = std::chrono::seconds{1};   // full jitter: [0, initial * 2^n]
  Millis backoff_max = std::chrono::seconds{30};      // cap of one backoff
  Millis retry_budget = std::chrono::seconds{90};     // total backoff within one poll/query
  Millis auth_probe_interval = std::chrono::minutes{5};
  Millis jwt_renew_after = std::chrono::minutes{4};   // JWTs live 5 minutes
  int max_query_pages = 1000;                         // queryMore pages followed at most
  std::uint64_t seed = 0;                             // jitter seed; 0 = random
  // Where the request metrics go (docs/operations.md); null: a registry of the client's own.
  std::shared_ptr<metrics::Registry> metrics;
};

class BoomiClient final : public PlatformClient {
 public:
  // The client paces, backs off and times its auth circuit and JWT with `clock` and
  // `timers` (the daemon passes the ones it gives the engine); both outlive the client.
  BoomiClient(boost::asio::io_context& io, const config::Platform& platform,
              std::unique_ptr<HttpTransport> transport, const Clock& clock, TimerFactory& timers,
              ClientOptions options = {});
  ~BoomiClient() override;

  boost::asio::awaitable<CallResult<SubmitResult>> submit(const ExecutionRequest& req,
                                                          SendGate may_send = {}) override;
  boost::asio::awaitable<CallResult<PollResult>> poll(const std::string& request_id) override;
  boost::asio::awaitable<CallResult<std::vector<ExecutionRecord>>> query(
      const RecordQuery& q) override;
  PlatformHealth health() const override;
  void reset_auth() override;

  // The deprecated endpoints seen so far, one notice each, in the order first seen.
  std::vector<DeprecationNotice> deprecations() const override { return m_deprecations; }

  // A reloaded configuration: new credentials, URLs and pace; closes the auth circuit.
  bool update_platform(const config::Platform& platform) override;

  // One paced, circuit-guarded REST exchange below the account base, retried like a query
  // (throttled, 5xx, transport failures): the calls outside PlatformClient
  // (boomi_schedules.h) use it. A 2xx answer is a value, anything else a CallError.
  boost::asio::awaitable<CallResult<HttpResponse>> rest_exchange(std::string method,
                                                                 std::string path,
                                                                 std::string body,
                                                                 std::string content_type);
  // The CallError of a 2xx answer that could not be used (body capped, credentials scrubbed).
  CallError unusable_answer(const HttpResponse& r, std::string message) const {
    return bad_response(r, std::move(message));
  }

 private:
  struct CallSpec {
    HttpRequest request;
    CallPriority priority = CallPriority::background;
    bool trigger = false;
    bool retry = false;             // retry throttled / 5xx / transport failures here
    std::vector<int> pass;          // non-2xx statuses handed back as answers
    // "POST ExecutionRequest": names it in warnings and in the request metrics (never an id)
    std::string endpoint;
    PlatformClient::SendGate may_send;  // asked before each attempt leaves (submit)
  };
  boost::asio::awaitable<CallResult<HttpResponse>> call(CallSpec spec);
  std::optional<CallError> check_circuit(bool& probe);
  void on_answer(const CallResult<HttpResponse>& r, bool probe);
  // Logs and keeps the first Deprecation / Sunset notice of `endpoint`.
  void note_deprecation(const std::string& endpoint, const HttpResponse& r);
  Millis backoff(int attempt, const CallError& e);
  // Resumes `delay` later (at once when it is not positive), on one of m_timers.
  boost::asio::awaitable<void> wait_for(Millis delay);
  CallError scrub(CallError e) const;
  CallError bad_response(const HttpResponse& r, std::string message) const;
  // A 2xx answer to a trigger that cannot be read: it may have been accepted.
  CallError uncertain_answer(const HttpResponse& r, std::string message) const;
  HttpRequest rest_request(std::string method, std::string path, std::string body,
                           std::string content_type) const;

  boost::asio::awaitable<CallResult<SubmitResult>> submit_rest(const ExecutionRequest& req,
                                                               SendGate may_send);
  boost::asio::awaitable<CallResult<SubmitResult>> submit_graphql(const ExecutionRequest& req,
                                                                  SendGate may_send);
  boost::asio::awaitable<CallResult<std::vector<ExecutionRecord>>> query_rest(const RecordQuery& q);
  boost::asio::awaitable<CallResult<std::vector<ExecutionRecord>>> query_graphql(
      const RecordQuery& q);
  boost::asio::awaitable<CallResult<std::string>> jwt();
  // A GraphQL POST with the Bearer token and SPACE_GUID headers.
  CallSpec graphql_call(const std::string& token, std::string body) const;
  CallError graphql_error(const HttpResponse& r, std::string message, std::string code);

  boost::asio::io_context& m_io;
  config::Platform m_platform;
  std::string m_basic;  // "Basic <base64>": never logged
  std::unique_ptr<HttpTransport> m_transport;
  const Clock& m_clock;
  TimerFactory& m_timers;
  ClientOptions m_options;
  Pacer m_pacer;
  std::shared_ptr<metrics::Registry> m_registry;  // outlives m_metrics
  RequestMetrics m_metrics;
  std::mt19937_64 m_rng;

  // Auth circuit.
  bool m_auth_open = false;
  bool m_probe_in_flight = false;
  SteadyTime m_auth_retry_at{};
  std::string m_auth_message;
  std::string m_last_error;
  std::vector<DeprecationNotice> m_deprecations;

  // GraphQL token.
  std::string m_jwt;
  SteadyTime m_jwt_at{};
};

// The client the daemon and `exec` use: a BoomiClient over a BeastTransport, REST or
// GraphQL by platform.api; `clock` and `timers` outlive it.
std::unique_ptr<PlatformClient> make_platform_client(boost::asio::io_context& io,
                                                     const config::Platform& platform,
                                                     const Clock& clock, TimerFactory& timers,
                                                     ClientOptions options = {});
// The same over an injected transport, for tests and benchmarks.
std::unique_ptr<PlatformClient> make_platform_client(boost::asio::io_context& io,
                                                     const config::Platform& platform,
                                                     std::unique_ptr<HttpTransport> transport,
                                                     const Clock& clock, TimerFactory& timers,
                                                     ClientOptions options = {});

// "Basic " + base64(username:token), for the transport headers.
std::string basic_authorization(const std::string& username, const std::string& token);

}  // namespace bsched::platform
