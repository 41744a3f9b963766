// The Platform API simulator (product.md §8): a loopback HTTP(S) server that speaks the wire
// format of platform-api.md strictly, for tests, benchmarks, `boomi-sched sim` and
// `run --dev`. It runs on the io_context it is given (single-threaded, coroutines) and keeps
// every request it received so tests can assert on them.
//
// Test-only control endpoints (never part of the real API):
//   GET  /__sim/requests  -> JSON array of ReceivedRequest objects (method, target, body,
//                            run_id, received_at_ms, status)
//   GET  /__sim/stats     -> {"submits": N, "polls": N, "queries": N, "runs": {...by status}}
//   POST /__sim/faults    -> body: a JSON object with any SimFaults field, replaces the faults
#pragma once

#include "base/clock.h"
#include "base/result.h"
#include "base/time_util.h"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::sim {

// How runs end; weights, need not sum to 1 (all zero = always COMPLETE).
struct OutcomeMix {
  double complete = 1.0;
  double complete_warn = 0.0;
  double error = 0.0;  // with message "simulated failure: …"
  double aborted = 0.0;
  double discarded = 0.0;
};

// Fault injection. Rates are probabilities per request in [0, 1].
struct SimFaults {
  double rate_503 = 0;           // answer 503 "rate exceeded"
  int burst_503 = 0;             // the next N requests get 503 (then back to normal)
  double rate_429 = 0;           // answer 429 with Retry-After: retry_after_s
  int retry_after_s = 1;
  double rate_500 = 0;
  double rate_slow = 0;          // answer after slow_ms (past the client deadline)
  Millis slow = Millis{5000};
  double rate_reset_after_read = 0;  // read the request (and act on it), then reset the connection
  double rate_malformed = 0;     // 200 with a body that is not JSON
  double rate_no_record = 0;     // a submitted run never gets a record (202 forever)
  Millis async_expiry{0};        // >0: async results answer 204 this long after the run ends
  bool only_submits = false;     // apply the random faults to ExecutionRequest only
};

// How an answer spells the 64-bit fields of an ExecutionRecord (executionDuration,
// inboundDocumentSize, outboundDocumentSize).
enum class LongStyle {
  number,  // ["Long", 3832]: the REST answers of the published examples (the default)
  string,  // ["Long", "3832"]: GraphQL's spelling, on REST only in tolerance tests
  plain,   // 3832: the published schema's "integer", for tolerance tests
};

// The body of an error answer.
enum class ErrorStyle {
  message,       // {"message":"…"}: the published JSON error examples (the default)
  error_object,  // {"error":{"message":"…"}}: the other documented shape
  typed,         // {"@type":"Error","message":"…"}: seen in the wild
};

struct SimOptions {
  std::string listen_address = "127.0.0.1";
  unsigned short port = 0;        // 0: an ephemeral port (see Simulator::port())
  std::string account_id = "sim-account";
  std::string username = "BOOMI_TOKEN.sim@example.com";
  std::string token = "sim-token";  // Basic auth is checked against username:token
  // HTTPS when both are set (PEM files).
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  Millis pickup_delay{1000};      // 202 answers until the runtime "picks the run up"
  Millis run_duration{2000};      // STARTED/INPROCESS for this long, then terminal
  Millis latency{0};              // added to every answer
  OutcomeMix outcomes;
  // Polls answer the bare ExecutionRecord, as the published description documents; true:
  // the AsyncOperationResult envelope {"@type":"AsyncOperationResult","responseStatusCode":200,
  // "numberOfResults":1,"result":[record]} instead (tolerance tests).
  bool poll_envelope = false;
  LongStyle rest_longs = LongStyle::number;  // the long fields of REST records
  ErrorStyle error_style = ErrorStyle::message;
  SimFaults faults;
  std::uint64_t seed = 1;         // for the random choices (outcomes, faults)
  std::string run_id_property = "BOOMI_SCHED_RUN_ID";  // read from submits into ReceivedRequest
  double rate_limit_per_s = 0;    // >0: the account's rate limit (about 10 on the platform);
                                  // API requests past it in any one second answer 503
  Millis io_timeout{30000};       // deadline of each read and write; idle keep-alive limit
  bool log_requests = false;      // one line per API request on stderr ("sim: POST … -> 200")
  // Per process id: how its runs end and how long they run, instead of `outcomes` and
  // `run_duration` (run --dev: one demo job always fails, one is slow).
  std::map<std::string, OutcomeMix> process_outcomes;
  std::map<std::string, Millis> process_durations;
};

struct ReceivedRequest {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::string run_id;  // the run-id dynamic property of an ExecutionRequest, if any
  SysMillis received_at{};
  int status = 0;      // the HTTP status answered (0: connection reset)
};

class Simulator {
 public:
  // The platform's time is `clock`'s wall time (the system clock in `boomi-sched sim` and
  // `run --dev`; a fake one in tests, which move it instead of sleeping). Answer delays
  // (latency, slow answers) wait on real timers. `clock` outlives the simulator and the
  // io_context's remaining work; it is read on the io_context's thread.
  Simulator(boost::asio::io_context& io, const Clock& clock, SimOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds and starts accepting on the io_context. Errors: bind failure, bad cert/key.
  Result<void> start();
  void stop();

  unsigned short port() const;
  // "http://127.0.0.1:PORT/api/rest/v1" (https:// with TLS); the client appends the account id.
  std::string base_url() const;

  std::vector<ReceivedRequest> requests() const;
  void set_faults(const SimFaults& faults);
  // Runs created so far (accepted submits, REST and GraphQL).
  std::size_t run_count() const;

  // Thread-safety: start() belongs to the thread that runs the io_context (or to any thread
  // while it is not running); everything else may be called from any thread. stop() is
  // carried out on the io_context (at once when called on its thread): it closes the
  // listener and every open connection, so io_context::run() returns once nothing else is
  // pending. The destructor stops.

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace bsched::sim
