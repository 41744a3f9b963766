// The JSON of the process-schedule calls (platform-api.md "Process schedules") in both
// directions. Pure functions that never throw; the answer parsers follow wire.h's tolerance
// rules (unknown keys ignored, strings capped at k_id_cap, numbers as numbers or strings).
#pragma once

#include "daemon/platform/schedule_model.h"
#include "daemon/platform/wire.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::platform {

// Which objects a query asks for: every one of a runtime, or one process on it.
struct ScheduleFilter {
  std::string atom_id;
  std::string process_id;  // empty: every process of the runtime
};

// One item of a bulk GET answer, matched to the id it was asked for.
template <class T>
struct BulkItem {
  std::string id;            // the id asked for
  std::optional<T> value;    // the object, when the platform returned one
  int status_code = 0;       // the item's statusCode (0 when the item is missing)
  std::string error_message; // why there is no value
};

// ---- request bodies ----

// {"QueryFilter":{"expression":{"operator":"EQUALS","property":"atomId","argument":[…]}}}, or
// an `and` of atomId and processId when the filter names a process.
std::string schedule_query_json(const ScheduleFilter& filter);
// {"type":"GET","request":[{"id":…},…]}
std::string bulk_get_json(const std::vector<std::string>& ids);
// {"id":…,"atomId":…,"processId":…,"enabled":true|false}: the body of
// POST /ProcessScheduleStatus/{id}.
std::string status_update_json(const ScheduleStatus& status, bool enabled);

// ---- answers ----

ProcessSchedules parse_process_schedules(const boost::json::object& o);
ScheduleStatus parse_schedule_status(const boost::json::object& o);

template <class T>
struct SchedulePage {
  std::vector<T> items;
  std::string query_token;  // empty: last page
};
// A QueryResult page of ProcessSchedules / ProcessScheduleStatus objects.
AnswerResult<SchedulePage<ProcessSchedules>> parse_schedules_page(std::string_view body);
AnswerResult<SchedulePage<ScheduleStatus>> parse_statuses_page(std::string_view body);

// A BulkResult: one BulkItem per id asked for, in the order asked. Items are matched on
// Result.id; a failed item (statusCode >= 400, errorMessage, no Result) is matched on its
// `id` or `index` when it carries one; an id nothing matches gets the failed items' messages
// (or "absent from the bulk answer").
AnswerResult<std::vector<BulkItem<ProcessSchedules>>> parse_schedules_bulk(
    std::string_view body, const std::vector<std::string>& ids);
AnswerResult<std::vector<BulkItem<ScheduleStatus>>> parse_statuses_bulk(
    std::string_view body, const std::vector<std::string>& ids);

// The answer of a status update: the object as it is now. A missing `enabled` is an error.
AnswerResult<ScheduleStatus> parse_status_answer(std::string_view body);

}  // namespace bsched::platform
