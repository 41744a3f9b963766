// Instants, zones and durations as the whole project writes and reads them.
// Slot instants are whole seconds (std::chrono::sys_seconds, UTC); event times carry
// milliseconds. Zones are pointers into the process-wide tz database (never freed).
#pragma once

#include "base/result.h"

#include <date/tz.h>

#include <chrono>
#include <string>
#include <string_view>

namespace bsched {

using Millis = std::chrono::milliseconds;
using SysMillis = std::chrono::sys_time<Millis>;

// "2026-03-29T01:30:00Z"
std::string format_utc(std::chrono::sys_seconds t);
// "2026-03-29T01:30:00.123Z"
std::string format_utc_ms(SysMillis t);
// "2026-03-29T03:30:00+02:00" in `zone`
std::string format_local_iso(std::chrono::sys_seconds t, const date::time_zone* zone);

// Accepts "2026-03-29T01:30:00Z", "…T01:30:00.5Z", "…T03:30:00+02:00", "…T01:30Z",
// "2026-03-29 01:30:00" and a bare date (midnight). Without an offset the instant is read in
// `zone_for_local` (UTC when null). Fractions of a second are truncated.
Result<std::chrono::sys_seconds> parse_instant(std::string_view text,
                                               const date::time_zone* zone_for_local = nullptr);

// The IANA zone with that name, or an error naming it. "UTC" and "Etc/UTC" always work.
Result<const date::time_zone*> find_zone(std::string_view name);
// The host's zone (/etc/localtime, TZ), falling back to UTC when it cannot be determined.
const date::time_zone* host_zone();
const date::time_zone* utc_zone();

// Durations: one or more `<integer><unit>` terms, unit ms|s|m|h|d ("500ms", "30s", "1h30m").
Result<Millis> parse_duration(std::string_view text);
// The shortest exact spelling: 90000ms -> "1m30s", 1500ms -> "1s500ms", 0 -> "0s".
std::string format_duration(Millis d);

}  // namespace bsched
