#include "daemon/sim/sim_state.h"

#include "daemon/sim/sim_util.h"

#include <fmt/format.h>

#include <array>

namespace bsched::sim {

namespace {

constexpr Millis k_jwt_lifetime{5 * 60 * 1000};

// "YYYY.MM.DD" of an instant, for execution ids.
std::string dotted_date(SysMillis t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  return fmt::format("{:04}.{:02}.{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

}  // namespace

std::optional<std::string> run_status_at(const SimRun& run, SysMillis now) {
  if (run.never_recorded || now < run.picked_up_at) return std::nullopt;
  if (now >= run.ends_at) return run.outcome;
  const auto half = run.picked_up_at + (run.ends_at - run.picked_up_at) / 2;
  return std::string(now < half ? "STARTED" : "INPROCESS");
}

SimState::SimState(const SimOptions& options)
    : m_options(options),
      m_random(options.seed),
      m_ids(options.seed ^ 0x9e3779b97f4a7c15ULL) {}

double SimState::draw() {
  // 53 random bits: the same sequence on every platform for a given seed.
  return static_cast<double>(m_random() >> 11) * 0x1.0p-53;
}

std::string SimState::draw_outcome(const OutcomeMix& mix) {
  const std::array<std::pair<double, const char*>, 5> weights{{
      {mix.complete, "COMPLETE"},
      {mix.complete_warn, "COMPLETE_WARN"},
      {mix.error, "ERROR"},
      {mix.aborted, "ABORTED"},
      {mix.discarded, "DISCARDED"},
  }};
  double total = 0;
  for (const auto& [w, name] : weights) total += w > 0 ? w : 0;
  if (total <= 0) return "COMPLETE";
  double point = draw() * total;
  for (const auto& [w, name] : weights) {
    if (w <= 0) continue;
    if (point < w) return name;
    point -= w;
  }
  return "COMPLETE";  // rounding at the upper edge
}

std::string SimState::new_uuid() {
  const std::uint64_t hi = (m_ids() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  const std::uint64_t lo = (m_ids() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

const SimRun& SimState::add_run(const std::string& process_id, const std::string& atom_id,
                                SysMillis now) {
  SimRun run;
  run.request_id = "executionrecord-" + new_uuid();
  run.process_id = process_id;
  run.atom_id = atom_id;
  run.submitted_at = now;
  run.picked_up_at = now + m_options.pickup_delay;
  auto duration = m_options.process_durations.find(process_id);
  run.ends_at = run.picked_up_at + (duration != m_options.process_durations.end()
                                        ? duration->second
                                        : m_options.run_duration);
  run.execution_id = "execution-" + new_uuid() + "-" + dotted_date(run.picked_up_at);
  auto mix = m_options.process_outcomes.find(process_id);
  run.outcome = draw_outcome(mix != m_options.process_outcomes.end() ? mix->second
                                                                     : m_options.outcomes);
  if (run.outcome == "ERROR") run.message = "simulated failure: the process reported an error";
  if (run.outcome == "ABORTED") run.message = "simulated abort: the run was cancelled";
  if (run.outcome == "DISCARDED") run.message = "simulated discard: the process was already running";
  run.never_recorded = m_options.faults.rate_no_record > 0 && draw() < m_options.faults.rate_no_record;
  m_run_index[run.request_id] = m_runs.size();
  m_runs.push_back(std::move(run));
  ++m_stats.submits;
  return m_runs.back();
}

const SimRun* SimState::find_run(const std::string& request_id) const {
  const auto it = m_run_index.find(request_id);
  return it == m_run_index.end() ? nullptr : &m_runs[it->second];
}

void SimState::mark_retrieved(const std::string& request_id) {
  const auto it = m_run_index.find(request_id);
  if (it != m_run_index.end()) m_runs[it->second].result_retrieved = true;
}

std::vector<const SimRun*> SimState::recorded_runs(SysMillis now) const {
  std::vector<const SimRun*> out;
  for (const SimRun& run : m_runs) {
    if (run_status_at(run, now)) out.push_back(&run);
  }
  return out;
}

bool SimState::over_rate_limit(SysMillis now) {
  const double limit = m_options.rate_limit_per_s;
  if (limit <= 0) return false;
  while (!m_recent.empty() && m_recent.front() <= now - Millis{1000}) m_recent.pop_front();
  if (static_cast<double>(m_recent.size()) + 1 > limit) return true;
  m_recent.push_back(now);
  return false;
}

FaultKind SimState::decide_fault(bool is_submit) {
  SimFaults& f = m_options.faults;
  if (f.only_submits && !is_submit) return FaultKind::none;
  if (f.burst_503 > 0) {
    --f.burst_503;
    return FaultKind::unavailable_503;
  }
  const std::array<std::pair<double, FaultKind>, 6> rates{{
      {f.rate_503, FaultKind::unavailable_503},
      {f.rate_429, FaultKind::throttled_429},
      {f.rate_500, FaultKind::internal_500},
      {f.rate_slow, FaultKind::slow},
      {f.rate_reset_after_read, FaultKind::reset},
      {f.rate_malformed, FaultKind::malformed},
  }};
  double total = 0;
  for (const auto& [rate, kind] : rates) total += rate > 0 ? rate : 0;
  if (total <= 0) return FaultKind::none;  // no draw: fault-free runs keep their sequence
  double point = draw();
  for (const auto& [rate, kind] : rates) {
    if (rate <= 0) continue;
    if (point < rate) return kind;
    point -= rate;
  }
  return FaultKind::none;
}

std::string SimState::store_query_rest(std::vector<std::string> request_ids, std::size_t total) {
  // Opaque like the platform's; the counter keeps tokens unique, the uuid unguessable.
  std::string token = fmt::format("EXECUTIONRECORD-{}-{}", ++m_query_counter, new_uuid());
  m_query_rest[token] = QueryRest{std::move(request_ids), total};
  m_query_order.push_back(token);
  if (m_query_order.size() > k_kept_queries) {
    m_query_rest.erase(m_query_order.front());
    m_query_order.pop_front();
  }
  return token;
}

const SimState::QueryRest* SimState::find_query_rest(const std::string& token) const {
  const auto it = m_query_rest.find(token);
  return it == m_query_rest.end() ? nullptr : &it->second;
}

std::string SimState::issue_jwt(const std::string& account_id, SysMillis now) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (now + k_jwt_lifetime).time_since_epoch())
                       .count();
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  const std::string payload = fmt::format(R"({{"sub":"{}","accountId":"{}","exp":{},"jti":"{}"}})",
                                          m_options.username, account_id, exp, new_uuid());
  std::string token = base64url(header) + "." + base64url(payload) + "." + base64url(new_uuid());
  m_jwts[token] = now + k_jwt_lifetime;
  return token;
}

bool SimState::jwt_valid(const std::string& token, SysMillis now) const {
  const auto it = m_jwts.find(token);
  return it != m_jwts.end() && now < it->second;
}

std::size_t SimState::log_request(ReceivedRequest request) {
  m_requests.push_back(std::move(request));
  return m_requests.size() - 1;
}

}  // namespace bsched::sim
