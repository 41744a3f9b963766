// Small helpers of the simulator: base64 for Basic auth and JWTs, the platform's strict
// instant spelling, and the platform's error body.
#pragma once

#include "base/time_util.h"
#include "daemon/sim/simulator.h"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace bsched::sim {

// Standard base64 (RFC 4648 §4) with padding; nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);
// URL-safe base64 without padding (RFC 4648 §5), as in JWTs.
std::string base64url(std::string_view bytes);

// The instant of exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fraction, a real calendar date);
// nullopt for any other spelling.
std::optional<std::chrono::sys_seconds> parse_strict_instant(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ" of `t`, truncated to the second.
std::string format_instant(SysMillis t);

// The platform's error body in `style` ({"message":"…"} by default), `message` JSON-escaped.
std::string error_body(std::string_view message, ErrorStyle style = ErrorStyle::message);

// The media type of a Content-Type or Accept item, lower-cased and without parameters.
std::string media_type(std::string_view header_value);
// True when an Accept header lists application/json (parameters and q-values ignored).
bool accepts_json(std::string_view accept);

}  // namespace bsched::sim
