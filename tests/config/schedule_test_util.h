// Helpers of the schedule engine's tests: slots as readable strings.
#pragma once

#include "config/schedule.h"
#include "base/time_util.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace bsched::test {

inline const date::time_zone* zone_named(std::string_view name) {
  auto z = find_zone(name);
  REQUIRE_MESSAGE(z.has_value(), name);
  return *z;
}

inline std::chrono::sys_seconds instant(std::string_view iso) {
  auto t = parse_instant(iso);
  REQUIRE_MESSAGE(t.has_value(), iso);
  return *t;
}

// The next `n` slots of `expr` after `from`, as local ISO times in `zone` ("" = UTC),
// separated by spaces; "error: <message>" when the expression does not parse.
inline std::string next_slots(std::string_view expr, std::string_view from, int n,
                              std::string_view zone = "", std::string_view seed = "job",
                              config::DstFold fold = config::DstFold::automatic) {
  const date::time_zone* z = zone.empty() ? nullptr : zone_named(zone);
  auto s = config::Schedule::parse(expr, seed, z, fold);
  if (!s) return "error: " + s.error().message();
  std::string out;
  auto t = instant(from);
  for (int i = 0; i < n; ++i) {
    auto next = s->next_after(t);
    if (!next) return out + (out.empty() ? "" : " ") + "(none)";
    if (!out.empty()) out += ' ';
    out += z ? format_local_iso(*next, z) : format_utc(*next);
    t = *next;
  }
  return out;
}

// The parse error of `expr`, or "(ok)".
inline std::string parse_error(std::string_view expr) {
  auto s = config::Schedule::parse(expr, "job");
  return s ? "(ok)" : s.error().message();
}

}  // namespace bsched::test
