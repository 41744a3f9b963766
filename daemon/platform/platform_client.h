// What the daemon asks of the Boomi Platform API (platform-api.md), as typed values.
// BoomiClient (daemon/platform/boomi_client.h) implements it over an HttpTransport, with the
// account's pacing, backoff and auth circuit inside; tests use a scripted fake.
//
// All coroutines run on the daemon's single-threaded io_context and never throw: every
// failure is a classified CallError.
#pragma once

#include "base/result.h"
#include "base/time_util.h"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bsched::config {
struct Platform;
}

namespace bsched::platform {

using std::chrono::sys_seconds;

struct ComponentProperty {
  std::string component_id;
  std::vector<std::pair<std::string, std::string>> values;  // key -> value
};

// One trigger, with its properties already expanded (the run-id property included).
struct ExecutionRequest {
  std::string process_id;
  std::string atom_id;
  std::vector<std::pair<std::string, std::string>> dynamic_properties;
  std::vector<ComponentProperty> process_properties;
};

struct SubmitResult {
  std::string request_id;  // "executionrecord-<uuid>", never empty
};

// An ExecutionRecord, every field optional (absent = empty / nullopt).
struct ExecutionRecord {
  std::string execution_id;
  std::string status;  // verbatim: COMPLETE, ERROR, INPROCESS, …
  std::optional<sys_seconds> execution_time;
  std::optional<sys_seconds> recorded_date;
  std::string process_id, process_name, atom_id, atom_name, account;
  std::string execution_type;
  std::string message;
  std::optional<std::int64_t> inbound_document_count, inbound_error_document_count,
      outbound_document_count;
  std::optional<std::int64_t> execution_duration_ms, inbound_document_size,
      outbound_document_size;
  std::string original_execution_id, parent_execution_id, top_level_execution_id, node_id,
      report_key, launcher_id;
};

// What a status word means for the run.
enum class RemoteStatus {
  complete,       // COMPLETE
  complete_warn,  // COMPLETE_WARN
  error,          // ERROR
  aborted,        // ABORTED
  discarded,      // DISCARDED
  in_progress,    // STARTED, INPROCESS, ENQUEUED, ABORTED_RECOVERING, or any unknown word
};
RemoteStatus classify_status(std::string_view status);

struct PollResult {
  enum class Kind {
    pending,  // 202 / no record yet
    record,   // `record` holds the (possibly still running) record
    gone,     // 204/404/410: the async result expired; use query()
  };
  Kind kind = Kind::pending;
  ExecutionRecord record;
};

enum class FailureKind {
  permanent,     // 400/403/404 and malformed requests: fail this run, do not retry
  retry_later,   // 410 on trigger, 500, 502/504 on polls and queries, refused before sending
  throttled,     // 503/429; retry_after when the platform gave one
  auth,          // 401: the auth circuit is open; nothing is sent until it closes
  // The trigger may have been accepted: timeout, reset or a garbled answer after it was
  // sent, a gateway's 502/504, a 2xx without a usable requestId. Reconcile, never resend.
  uncertain,
  bad_response,  // an answer we could not understand (kept raw, capped, in `body`)
  // Not sent: the caller's send gate said no when the request was about to leave (after
  // its wait for the pace, before each attempt). Says nothing of the platform.
  withheld,
};

struct CallError {
  FailureKind kind = FailureKind::retry_later;
  int http_status = 0;  // 0 when no HTTP answer arrived
  std::string message;  // the platform's message, or ours ("connect timed out after 30s")
  std::optional<Millis> retry_after;  // never more than k_retry_after_max (classify.h)
  std::string body;  // raw answer, capped, for the log (never holds credentials)
};

template <class T>
using CallResult = Result<T, CallError>;

// Query filter for reconciliation: processId + atomId + executionTime window.
struct RecordQuery {
  std::string process_id;
  std::string atom_id;
  sys_seconds from{};
  sys_seconds to{};
};

// The auth circuit and platform health, for `status` and the log.
struct PlatformHealth {
  bool auth_failed = false;  // a 401 opened the circuit
  std::string last_error;    // latest failure message, empty when the last call succeeded
  std::optional<SysMillis> auth_retry_at;  // when a half-open probe is allowed
};

// An endpoint the platform answered with Deprecation / Sunset headers: the object is
// positioned for retirement. Header values verbatim, capped, control characters replaced;
// empty when absent.
struct DeprecationNotice {
  std::string endpoint;     // "POST ExecutionRequest", "GET ExecutionRecord/async", …
  std::string deprecation;  // the Deprecation header (a date or "true")
  std::string sunset;       // the Sunset header: when the object is expected to go away
  std::string link;         // the Link header: where the platform explains it
  std::string warning;      // the Warning header
};

class PlatformClient {
 public:
  virtual ~PlatformClient() = default;

  // Asked just before each attempt of a trigger leaves; false: it does not (FailureKind::
  // withheld). A node of a pair passes whether it still holds the lease with margin: a request
  // may wait seconds for the pace, and must not leave after the lease could have passed on.
  using SendGate = std::function<bool()>;

  // POST ExecutionRequest. Triggers take precedence over polls and queries in the pace.
  virtual boost::asio::awaitable<CallResult<SubmitResult>> submit(const ExecutionRequest& req,
                                                                  SendGate may_send = {}) = 0;
  // GET ExecutionRecord/async/{requestId}.
  virtual boost::asio::awaitable<CallResult<PollResult>> poll(const std::string& request_id) = 0;
  // POST ExecutionRecord/query, following queryToken through queryMore until done.
  virtual boost::asio::awaitable<CallResult<std::vector<ExecutionRecord>>> query(
      const RecordQuery& q) = 0;

  virtual PlatformHealth health() const = 0;
  // Called when the configuration (credentials) changed: closes the auth circuit.
  virtual void reset_auth() = 0;
  // The deprecated endpoints the platform's answers named so far, one notice each, in the
  // order first seen. Default: none.
  virtual std::vector<DeprecationNotice> deprecations() const { return {}; }
  // A reloaded configuration's platform settings (credentials, URLs, pace). Returns whether
  // the client took them; false (the default): they apply after a restart.
  virtual bool update_platform(const config::Platform& platform) {
    (void)platform;
    return false;
  }
};

}  // namespace bsched::platform
