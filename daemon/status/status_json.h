// The machine-readable forms of `status --json` and `history --json` (product.md §6). Keys
// are stable: scripts depend on them. Instants are UTC ISO 8601 strings, unset ones null.
#pragma once

#include "daemon/status/status_format.h"

#include <boost/json.hpp>

namespace bsched::status {

// A run: run_id, id, job, trigger, slot, state, attempts, request_id, execution_id,
// remote_status, message, last_error, properties, created_at, submitting_at, submitted_at,
// running_at, finished_at, last_sent_at, next_action_at, execution_time, duration_ms,
// inbound_documents, outbound_documents, inbound_error_documents.
boost::json::object run_json(const storage::RunRow& r);
// A missed / skipped range: type "gap", job, state (missed | skipped), slot (first), last,
// count, reason, recorded_at.
boost::json::object gap_json(const storage::SlotGap& g);
boost::json::value history_entry_json(const storage::HistoryEntry& e);

// {"daemon": {state (never_started | never_run | running | silent | stopped | gone), running,
// silent, pid, started_at, updated_at, stopped_at, config_loaded_at, config_fingerprint,
// platform_state, store_state, reload: {state (ok | failed), failed_at, errors,
// first_error}},
//  "config": {path, loads, errors},
//  "store": {path, exists, health},
//  "jobs": [{job, schedule, schedules, timezone, enabled, removed, next,
//  next_in_zone: {local, abbrev}, paused, pause_note, paused_by, paused_at, last_run,
//  last_run_late_ms, last_success_slot, in_flight, in_flight_tracked, untracked_since,
//  missed_since_success}]}
boost::json::object status_json(const DaemonState& daemon, const StatusContext& view,
                                const std::vector<JobStatus>& jobs, SysMillis now);

}  // namespace bsched::status
