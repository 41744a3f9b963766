// Schedule expressions (product.md §3): cron with 5 or 6 fields, macros, @every, the
// L/W/#/H extensions, evaluated in an IANA zone with RFC 5545 DST resolution.
//
// A Schedule is an immutable value: parse once, then ask it for slots. Every query is a pure
// function of its arguments, so the scheduler and its tests never need a real clock.
#pragma once

#include "base/result.h"

#include <date/tz.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bsched::config {

// How a wall-clock slot that falls in a DST fold (the local time happens twice) fires.
enum class DstFold : std::uint8_t {
  automatic,  // fixed hour field: once (first occurrence); hour field starting with '*': both
  once,       // always only the first occurrence
  both,       // every real instant the local time matches
};

// A parse error inside one expression.
struct ScheduleError {
  std::string field;   // "second", "minute", "hour", "day-of-month", "month", "day-of-week",
                       // or "expression" for problems not tied to one field
  int column = 1;      // 1-based column of the offending text inside the expression
  std::string reason;  // "24 is out of range 0-23"

  // "field 'hour' (col 5): 24 is out of range 0-23"
  std::string message() const;
};

class Schedule {
 public:
  // Parses `text`. `hash_seed` (the job name) feeds H fields; `zone` null means UTC.
  // Rejects expressions that can never fire.
  static Result<Schedule, ScheduleError> parse(std::string_view text, std::string_view hash_seed = {},
                                               const date::time_zone* zone = nullptr,
                                               DstFold fold = DstFold::automatic);

  // The first slot strictly after `t`; nullopt only past the year 9999.
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds t) const;

  // Calls `fn` for every slot in [from, to), in increasing order, until it returns false.
  // Cost is proportional to the number of slots visited, not to the interval's length.
  void for_each_in(std::chrono::sys_seconds from, std::chrono::sys_seconds to,
                   const std::function<bool(std::chrono::sys_seconds)>& fn) const;

  const std::string& text() const;
  const date::time_zone* zone() const { return m_zone; }
  bool is_interval() const;  // @every: absolute time, zone-independent

  // Non-fatal remarks for `validate`, e.g. the day-of-month/day-of-week AND trap.
  const std::vector<std::string>& warnings() const;

 private:
  struct Parsed;  // the expression's text, parsed form and warnings
  // Shared: Schedules are copied freely, and jobs with the same expression share one parse.
  std::shared_ptr<const Parsed> m_parsed;
  const date::time_zone* m_zone = nullptr;
  DstFold m_fold = DstFold::automatic;

  friend class ScheduleCache;
};

// Parses schedules for a whole configuration, sharing one parsed expression between every
// schedule with the same text: 10,000 jobs on "0 */5 * * * *" hold one CronSpec. Expressions
// with H fields depend on their job's name and are parsed for each job.
class ScheduleCache {
 public:
  // As Schedule::parse.
  Result<Schedule, ScheduleError> parse(std::string_view text, std::string_view hash_seed,
                                        const date::time_zone* zone, DstFold fold);
  std::size_t shared() const { return m_by_text.size(); }

 private:
  std::map<std::string, Schedule, std::less<>> m_by_text;  // parsed without a zone
};

}  // namespace bsched::config
