// The status page (GET /) and a job's page (GET /jobs/NAME): self-contained HTML (inline
// CSS and script, nothing fetched from elsewhere), readable on a phone, refreshing itself.
// Every string from the configuration or the platform goes through html_escape.
#pragma once

#include "daemon/web/router.h"
#include "daemon/web/status_reader.h"

#include <string>
#include <vector>

namespace bsched::web {

// A job's health badge: what an operator should look at first.
enum class Badge {
  ok,       // the last run succeeded (or none ran yet) and no slot was missed since
  late,     // the last run left more than k_late_after after its slot
  failing,  // the last finished run failed
  paused,   // paused by an operator
  missed,   // slots were missed since the last success
};
inline constexpr Millis k_late_after = std::chrono::minutes(1);

Badge badge_of(const status::JobStatus& s);
const char* badge_name(Badge b);
// The colour class of a run's mark: ok, warn, bad, run (in flight), skip (skipped, missed).
const char* mark_class(storage::RunState s);

std::string render_index_page(const StatusReader::Jobs& jobs, const Health& health,
                              SysMillis now);
std::string render_job_page(const std::string& job, const std::vector<storage::HistoryEntry>& entries,
                            int limit, SysMillis now);
std::string render_error_page(const std::string& message);

}  // namespace bsched::web
