// The human text of `status` (product.md §6) and the pieces `history` shares with it. Pure
// functions of their inputs and "now", so tests pin every character.
#pragma once

#include "config/config.h"
#include "daemon/status/status_support.h"
#include "storage/sqlite_run_store.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace bsched::status {

// A time left or elapsed, two units at most: "12s", "4m", "15h 02m", "3d 2h".
std::string format_span(Millis d);
// A run's duration or lateness, exact to the unit shown: "41ms", "12s", "3m12s", "2h05m", "3d4h".
std::string format_compact(Millis d);
// A short label for an IANA zone: "America/New_York" -> "NY", "Europe/Berlin" -> "Berlin",
// "UTC" -> "UTC".
std::string zone_label(const std::string& timezone);
// `t` in `zone` relative to `now`: "10:00" today, "Mon 02:30" within the coming or past six
// days, "2026-12-24 10:00" otherwise; seconds only when not zero; " EST" appended when
// `with_zone`.
std::string format_when(std::chrono::sys_seconds t, const date::time_zone* zone,
                        std::chrono::sys_seconds now, bool with_zone);
// "COMPLETE 3m12s", "ERROR \"Map fa…\"", "RUNNING 2m" — the result column.
std::string run_result(const storage::RunRow& r, SysMillis now);
// The state's name in capitals ("COMPLETE_WARN").
std::string upper_state(storage::RunState s);

struct JobStatus {
  // The configured job; for a job removed from the configuration whose runs are still in
  // flight, a stand-in carrying only its name, and `removed` is set.
  const config::Job* job = nullptr;
  bool removed = false;
  storage::JobSummary summary;
  std::optional<std::chrono::sys_seconds> next;  // next fire instant, when known
  // A stand-in shown while the configuration does not load (its schedule is unknown).
  bool config_unknown = false;
};

// What the command read besides the database: the configuration.
struct StatusContext {
  std::string config_path;
  int config_errors = 0;       // errors of a configuration that does not load
  bool config_loaded = true;
  std::string db_path;         // the state database
};

// "daemon: running (pid 4121, up 3d 2h, config loaded 2026-11-22 09:14 UTC, platform ok)",
// then a line for a damaged store, a refused reload, a configuration that does not load.
std::string render_status_header(const DaemonState& daemon, SysMillis now,
                                 const StatusContext& view = {});
// The JOB / SCHEDULE / NEXT / LAST RUN / RESULT / IN FLIGHT / MISSED table, one line per job.
// `untracked`: no daemon tracks the runs in flight since then (untracked_since).
// `wide` adds the EXECUTION column: the platform's executionId of the last run (its
// requestId while the record is not seen yet), to look the run up on the platform.
std::string render_status_table(const std::vector<JobStatus>& jobs, SysMillis now,
                                const std::optional<SysMillis>& untracked = std::nullopt,
                                bool wide = false);
// "not tracked since 09:14:03 (no daemon running)" for a run in flight nobody polls.
std::string untracked_text(SysMillis since, SysMillis now);

// Rows of cells as columns separated by two spaces. A row's last cell is never padded and
// does not widen its column, so a short row's last cell may span the rest of the line.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace bsched::status
