// The daemon's log (product.md §5): one line per event on stderr, "event key=value …".
// Under journald ($JOURNAL_STREAM set) lines carry no timestamp (journald adds time, unit and
// pid) but a "<N>" syslog priority prefix, so `journalctl -p warning` filters by level;
// otherwise they start with the UTC time and the level name.
//
// Secrets: config::Secret has no formatter, so the token cannot be passed to a log call.
#pragma once

#include "base/result.h"

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace bsched::runtime {

// "trace", "debug", "info", "warn"/"warning", "error", "critical", "off" (any case).
Result<spdlog::level::level_enum> parse_log_level(std::string_view text);

// The level from --log-level, else $BOOMI_SCHED_LOG_LEVEL, else info.
Result<spdlog::level::level_enum> resolve_log_level(const std::optional<std::string>& flag);

// The syslog priority journald understands for a level (debug 7 … critical 2).
int syslog_priority(spdlog::level::level_enum level);

// True when stderr is connected to journald (JOURNAL_STREAM names stderr's device:inode).
bool stderr_is_journal();

// The line format described above; every message's control characters are escaped, so one
// event is one line whatever text reached it.
std::unique_ptr<spdlog::formatter> make_log_formatter(bool journal);

// Replaces the default logger with the stderr one described above.
void setup_logging(spdlog::level::level_enum level, bool journal);

}  // namespace bsched::runtime
