// What a failed exchange means for the caller (platform-api.md "Errors"), as pure functions.
//
// | answer                                   | kind                              |
// |------------------------------------------|-----------------------------------|
// | 400, 403, 404, other 4xx                  | permanent                         |
// | 401                                       | auth                              |
// | 408, 410, 500, other 5xx                  | retry_later                       |
// | 502, 504                                  | trigger: uncertain; else retry_later |
// | 429, 503                                  | throttled (+ Retry-After)         |
// | 1xx                                       | bad_response                      |
// | 3xx (a retired object moved; never followed) | permanent, naming the Location  |
// | bad or insecure URL                       | permanent (a configuration error) |
// | resolve / connect / TLS failure           | retry_later (nothing was sent)    |
// | timeout, reset, garbled answer after send | trigger: uncertain; else retry_later / bad_response |
#pragma once

#include "daemon/platform/http_transport.h"
#include "daemon/platform/platform_client.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bsched::platform {

// A non-2xx HTTP answer. `retry_after` is the Retry-After header value ("" when absent);
// `trigger` is true for ExecutionRequest / processExecute.
CallError classify_http_failure(int status, std::string_view retry_after, std::string_view body,
                                bool trigger, SysMillis now);

CallError classify_transport_failure(const TransportError& e, bool trigger);

// A 3xx answer (301/308: a retired object moved): permanent, never followed. The message
// names `endpoint` and the Location (capped, control characters replaced) so an operator can
// act: the credentials go only to the configured URLs.
CallError classify_redirect(int status, std::string_view location, std::string_view endpoint);

// A header value fit for a log line and `status`: at most `limit` bytes (cap_text), control
// characters replaced by '?'.
std::string header_text(std::string_view value, std::size_t limit = 200);

// The longest wait a Retry-After can ask for (docs/operations.md "Limits"). Longer values,
// including dates thousands of years ahead, are cut to it: every timer derived from a
// CallError::retry_after stays within an hour, far from any duration overflow.
inline constexpr Millis k_retry_after_max = std::chrono::hours{1};

// Retry-After as delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT",
// relative to `now`; a past date is 0), at most k_retry_after_max (a number too large for
// an integer is the maximum as well). Anything else — negative numbers, fractions, other
// date forms, garbage — is nullopt (absent).
std::optional<Millis> parse_retry_after(std::string_view value, SysMillis now);

// A short name of the kind for messages and logs: "permanent", "throttled", …
const char* failure_kind_name(FailureKind kind);

}  // namespace bsched::platform
