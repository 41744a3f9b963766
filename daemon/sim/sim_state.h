// The simulator's model of the platform: submitted runs and the instants that decide what a
// poll sees, stored query pages, issued JWTs, the request log and the seeded random choices
// (outcomes, faults, ids). Pure with respect to time: every call that depends on "now" takes
// it, so the lifecycle is testable without a clock. Not thread-safe; Simulator locks it.
#pragma once

#include "daemon/sim/sim_schedules.h"
#include "daemon/sim/simulator.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace bsched::sim {

// One submitted run. A run has no record until picked_up_at; it is STARTED during the first
// half of its run, INPROCESS during the second, and `outcome` from ends_at on.
struct SimRun {
  std::string request_id;    // "executionrecord-<uuid>"
  std::string execution_id;  // "execution-<uuid>-YYYY.MM.DD" (UTC date of the pickup)
  std::string process_id;
  std::string atom_id;
  SysMillis submitted_at{};
  SysMillis picked_up_at{};  // submitted_at + pickup_delay: the record appears
  SysMillis ends_at{};       // picked_up_at + run_duration: the terminal status
  std::string outcome;       // COMPLETE, COMPLETE_WARN, ERROR, ABORTED or DISCARDED
  std::string message;       // the error text of a failed run
  bool never_recorded = false;  // faults.rate_no_record: the record never appears
  // A poll has answered the terminal record: the async result is spent, and later polls of
  // the request id answer 204 (the query API still finds the record).
  bool result_retrieved = false;
};

// The run's status at `now`, or nullopt while it has no record (pending).
std::optional<std::string> run_status_at(const SimRun& run, SysMillis now);

// What the random faults decided for one request.
enum class FaultKind {
  none,
  unavailable_503,  // 503 "rate exceeded", not acted on
  throttled_429,    // 429 with Retry-After, not acted on
  internal_500,     // 500, not acted on
  slow,             // acted on, answered after faults.slow
  reset,            // acted on, then the connection is reset without an answer
  malformed,        // acted on, a 200 answer gets a body that is not JSON
};

struct SimStats {
  std::size_t submits = 0;  // ExecutionRequests (REST and GraphQL) that created a run
  std::size_t polls = 0;    // async polls answered
  std::size_t queries = 0;  // query and queryMore calls answered
};

class SimState {
 public:
  explicit SimState(const SimOptions& options);

  const SimOptions& options() const { return m_options; }
  void set_faults(const SimFaults& faults) { m_options.faults = faults; }

  // Creates a run submitted at `now`, drawing its outcome and the no-record fault.
  const SimRun& add_run(const std::string& process_id, const std::string& atom_id,
                        SysMillis now);
  const SimRun* find_run(const std::string& request_id) const;
  // Marks the run's async result as retrieved (see SimRun::result_retrieved).
  void mark_retrieved(const std::string& request_id);
  // Every run that has a record at `now`, in submission order.
  std::vector<const SimRun*> recorded_runs(SysMillis now) const;
  const std::vector<SimRun>& runs() const { return m_runs; }

  // True when one more API request at `now` would pass options.rate_limit_per_s within the
  // last second (the request is then refused and not counted); otherwise counts it.
  bool over_rate_limit(SysMillis now);

  // The random fault for one API request (bursts first, then one draw over the rates).
  FaultKind decide_fault(bool is_submit);

  // Query paging: keeps the request ids not yet returned (and the query's total) and
  // answers a token for them. The newest k_kept_queries tokens stay valid (and reusable).
  struct QueryRest {
    std::vector<std::string> ids;
    std::size_t total = 0;
  };
  static constexpr std::size_t k_kept_queries = 1000;
  std::string store_query_rest(std::vector<std::string> request_ids, std::size_t total);
  // The stored rest for `token`, or nullptr when the token is unknown or evicted.
  const QueryRest* find_query_rest(const std::string& token) const;

  // JWTs for GraphQL: issue one valid for 5 minutes; check a bearer token.
  std::string issue_jwt(const std::string& account_id, SysMillis now);
  bool jwt_valid(const std::string& token, SysMillis now) const;

  // The request log. log_request answers the entry's index for later updates.
  std::size_t log_request(ReceivedRequest request);
  ReceivedRequest& logged(std::size_t index) { return m_requests[index]; }
  const std::vector<ReceivedRequest>& requests() const { return m_requests; }

  SimStats& stats() { return m_stats; }
  SimSchedules& schedules() { return m_schedules; }  // ProcessSchedules / ...Status objects
  const SimStats& stats() const { return m_stats; }

  // A random RFC 4122 version-4 UUID from the id generator (seeded, reproducible).
  std::string new_uuid();

 private:
  double draw();  // uniform in [0, 1) from the fault/outcome generator
  std::string draw_outcome(const OutcomeMix& mix);

  SimOptions m_options;
  std::mt19937_64 m_random;  // outcomes and faults
  std::mt19937_64 m_ids;     // uuids and tokens, apart so ids do not shift fault sequences
  std::vector<SimRun> m_runs;
  std::unordered_map<std::string, std::size_t> m_run_index;  // request id -> position in m_runs
  std::map<std::string, QueryRest> m_query_rest;  // token -> what remains
  std::deque<std::string> m_query_order;          // tokens, oldest first, for eviction
  std::map<std::string, SysMillis> m_jwts;  // token -> expiry
  std::vector<ReceivedRequest> m_requests;
  std::deque<SysMillis> m_recent;  // accepted API requests of the last second
  SimStats m_stats;
  SimSchedules m_schedules;
  std::uint64_t m_query_counter = 0;
};

}  // namespace bsched::sim
