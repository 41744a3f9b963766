// The simulator's strict reading of request bodies and its rendering of ExecutionRecords.
// Every parse answers either the accepted value or an Error whose message becomes the
// platform's 400 answer ({"@type":"Error","message":…}).
#pragma once

#include "base/result.h"
#include "daemon/sim/sim_state.h"

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace bsched::sim {

// An accepted ExecutionRequest body.
struct ParsedSubmit {
  boost::json::object echo;  // the request as received, echoed back with requestId added
  std::string process_id;
  std::string atom_id;
  std::string run_id;        // value of the DynamicProcessProperty named run_id_property
};

// Strict: an object with "@type":"ExecutionRequest", non-empty string atomId and processId,
// and both documented property blocks (required, possibly empty lists), each exactly
// shaped; no other keys.
Result<ParsedSubmit> parse_execution_request(std::string_view body,
                                             const std::string& run_id_property);

// Parses `body` as one JSON object (no trailing data); the error names `what`.
Result<boost::json::object> parse_object(std::string_view body, std::string_view what);

// Fails unless every key of `o` is in `allowed`; the error names `where`.
Result<void> check_keys(const boost::json::object& o,
                        std::initializer_list<std::string_view> allowed, std::string_view where);

// The ExecutionRecord of `run` at `now` (which must have a record at `now`), with the fields
// the platform's published examples carry and nothing invented: no launcherID (no API
// Service launched it), no originalExecutionId / parentExecutionId / topLevelExecutionId (not
// a retry, not a subprocess), no nodeId (one Runtime, not a cluster), recordedDate and message
// only when they apply.
boost::json::object record_json(const SimRun& run, SysMillis now, const std::string& account_id,
                                LongStyle longs = LongStyle::number);

// One filterable property of that record as text, as a query compares it (numbers in
// decimal, instants as record_json spells them), or nullopt when the record does not carry
// it. The same as reading the property from record_json, without building the whole record.
std::optional<std::string> record_property(const SimRun& run, SysMillis now,
                                           const std::string& account_id,
                                           std::string_view property);

}  // namespace bsched::sim
