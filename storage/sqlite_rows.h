// Internal to the SQLite run store: how rows of `runs` and `slot_gaps` map to RunRow and
// SlotGap, and the instant <-> integer conversions of the schema (docs/storage.md).
#pragma once

#include "storage/sqlite.h"

#include <chrono>
#include <cstdint>
#include <optional>

namespace bsched::storage::sqlite {

inline std::int64_t to_db(SysMillis t) { return t.time_since_epoch().count(); }
inline std::int64_t to_db(sys_seconds t) { return t.time_since_epoch().count(); }
inline std::optional<std::int64_t> to_db(const std::optional<SysMillis>& t) {
  return t ? std::optional<std::int64_t>(to_db(*t)) : std::nullopt;
}
inline std::optional<std::int64_t> to_db(const std::optional<sys_seconds>& t) {
  return t ? std::optional<std::int64_t>(to_db(*t)) : std::nullopt;
}
inline SysMillis millis_from_db(std::int64_t v) { return SysMillis{Millis{v}}; }
inline sys_seconds seconds_from_db(std::int64_t v) { return sys_seconds{std::chrono::seconds{v}}; }
inline std::optional<SysMillis> opt_millis(const Query& q, int column) {
  auto v = q.opt_int64(column);
  return v ? std::optional<SysMillis>(millis_from_db(*v)) : std::nullopt;
}
inline std::optional<sys_seconds> opt_seconds(const Query& q, int column) {
  auto v = q.opt_int64(column);
  return v ? std::optional<sys_seconds>(seconds_from_db(*v)) : std::nullopt;
}

// Every column of `runs`, in the order read_run() expects.
#define BSCHED_RUN_COLUMNS                                                                   \
  "id, run_id, job, trigger, slot, state, attempts, request_id, execution_id, remote_status, " \
  "message, last_error, properties_json, created_at, submitting_at, submitted_at, running_at, " \
  "finished_at, last_sent_at, next_action_at, execution_time, duration_ms, inbound_documents, " \
  "outbound_documents, inbound_error_documents, maybe_accepted, matched_by"

#define BSCHED_GAP_COLUMNS "id, job, kind, first, last, count, reason, recorded_at"

// The current row of a query selecting BSCHED_RUN_COLUMNS.
RunRow read_run(const Query& q);
// The current row of a query selecting BSCHED_GAP_COLUMNS.
SlotGap read_gap(const Query& q);

}  // namespace bsched::storage::sqlite
