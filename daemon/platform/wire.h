// The JSON of platform-api.md in both directions: request bodies the client sends and
// tolerant parsers of the answers it receives. Pure functions of their inputs; they never
// throw (the fuzz target tests/fuzz/fuzz_platform_json.cpp holds them to it).
//
// Tolerance rules: unknown keys are ignored, every record field is optional, integers may be
// a number, a numeric string or a typed pair ["Long", 3832] / ["Long", "5816"], launcherID and
// launcherId are the same field, instants that do not parse are left empty. Strings are
// capped with cap_text at the caps below; queryToken and the JWT, sent back verbatim and
// never stored or printed, are bounded only by the transport's body limit.
#pragma once

#include "base/result.h"
#include "daemon/platform/platform_client.h"

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::platform {

// ---- request bodies ----

// {"@type":"ExecutionRequest","atomId":…,"processId":…,"DynamicProcessProperties":…,
//  "ProcessProperties":…}: both property blocks always ({"DynamicProcessProperty":[]} and
//  {"ProcessProperty":[]} when there are none), as the published schema requires them.
std::string execution_request_json(const ExecutionRequest& req);
// QueryFilter (processId AND atomId AND executionTime BETWEEN from, to) + QuerySort ASC.
std::string record_query_json(const RecordQuery& q);
// GraphQL-over-HTTP bodies: processExecute (no properties: GraphQL cannot carry them) and
// executionHistory for one status.
std::string graphql_execute_json(const ExecutionRequest& req);
std::string graphql_history_json(const std::string& process_id, sys_seconds since,
                                 std::string_view status);

// ---- answers ----

// Why an answer could not be used. `code` is the GraphQL error code (UNAUTHORIZED, …) or the
// responseStatusCode of an AsyncOperationResult envelope as text; empty otherwise.
struct AnswerError {
  std::string message;
  std::string code;
};
template <class T>
using AnswerResult = Result<T, AnswerError>;

// An integer in any of the encodings above.
std::optional<std::int64_t> json_int(const boost::json::value& v);
ExecutionRecord parse_record(const boost::json::object& o);

// HTTP 200 of ExecutionRequest: the non-empty requestId of at most k_id_cap bytes (a longer
// one is an error, never cut: a cut id would poll someone else's record or nothing).
AnswerResult<SubmitResult> parse_submit_answer(std::string_view body);
// HTTP 200 of ExecutionRecord/async: pending (202 inside, result missing or empty) or a
// record (envelope result[0], or a bare record). An envelope with responseStatusCode >= 400
// is an error whose code is that number.
AnswerResult<PollResult> parse_poll_answer(std::string_view body);

struct QueryPage {
  std::vector<ExecutionRecord> records;
  std::string query_token;  // empty: last page
};
AnswerResult<QueryPage> parse_query_page(std::string_view body);

// The JWT answer: a bare token, a JSON string, or an object with token / jwt / access_token.
AnswerResult<std::string> parse_jwt_answer(std::string_view body);
// {"data":{"processExecute":"<ExecutionRequest JSON as a string>"}}: parsed twice.
AnswerResult<SubmitResult> parse_graphql_execute(std::string_view body);
// {"data":{"executionHistory":[records…]}} (or a connection object holding a list).
AnswerResult<std::vector<ExecutionRecord>> parse_graphql_history(std::string_view body);

// The human message of an error answer: {"@type":"Error","message"}, {"error":{"message"}},
// {"message"}, GraphQL {"errors":[{"message"}]}, or the plain text itself; one line, capped
// at k_error_message_cap.
std::string error_message_of(std::string_view body);

// ---- caps of server strings (docs/operations.md "Limits") ----
//
// Every string taken from an answer is stored, logged or printed, so each is capped where it
// is parsed. Real values are far below the caps (ids ~50 bytes, messages a few hundred).
inline constexpr std::size_t k_id_cap = 256;       // ids, names, account, type words of a record
inline constexpr std::size_t k_status_cap = 64;    // status words, GraphQL error codes
inline constexpr std::size_t k_message_cap = 2048;  // an ExecutionRecord's message
inline constexpr std::size_t k_error_message_cap = 300;  // the message of an error answer
inline constexpr std::size_t k_body_cap = 2048;    // a raw answer kept in CallError::body

// `text` when it has at most `limit` bytes; else its first `limit` bytes or fewer (never half
// a UTF-8 sequence) followed by "… [cut, N bytes]", N the original size. The one way server
// strings are shortened, so a cut value is always recognisable as such.
std::string cap_text(std::string_view text, std::size_t limit);
// cap_text(body, k_body_cap), for CallError::body and logs.
std::string cap_body(std::string_view body);

}  // namespace bsched::platform
