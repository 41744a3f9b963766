// The schedule engine: local wall-clock slots (cron_match.cpp) mapped to instants through
// the zone's offset intervals, with RFC 5545 resolution of gaps and folds.
//
// The zone's timeline is a sequence of intervals [begin, end) with one UTC offset each.
// Inside an interval with offset o, a local slot L fires at L - o. At the interval's start,
// a change from offset p to o leaves either
//   a gap (o > p): local times [begin + p, begin + o) never happen; such a slot fires at
//     L - p, i.e. shifted forward by the gap's length, or
//   a fold (o < p): local times [begin + o, begin + p) happen a second time; such a slot
//     fires again at L - o only when the fold rule says both passes fire.
// So one interval yields two increasing streams (its own slots, and the gap's), merged.
#include "config/schedule.h"

#include "config/cron_spec.h"

#include <fmt/format.h>

#include <algorithm>

namespace bsched::config {

using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

// 9999-12-31T23:59:59Z + 1s: no slot at or after this instant.
constexpr std::int64_t k_end = 253402300800;
// 0000-01-01T00:00:00Z: queries start no earlier (keeps the calendar arithmetic in range).
constexpr std::int64_t k_begin = -62167219200;

// One offset interval of the zone, clipped to the query.
struct Span {
  std::int64_t begin;   // instants [begin, end)
  std::int64_t end;
  std::int64_t offset;  // seconds east of UTC
  std::int64_t prev;    // the offset before `begin`
};

Span span_at(const date::time_zone* zone, std::int64_t t) {
  if (!zone) return {t, k_end, 0, 0};
  auto info = zone->get_info(sys_seconds{seconds{t}});
  Span s{info.begin.time_since_epoch().count(), info.end.time_since_epoch().count(),
         info.offset.count(), info.offset.count()};
  if (s.begin > -k_end)  // not the open start of the timeline
    s.prev = zone->get_info(info.begin - seconds{1}).offset.count();
  return s;
}

// Walks the slots of `spec` in [from, to); `fn(instant)` returns false to stop.
template <class Fn>
void walk_cron(const CronSpec& spec, const date::time_zone* zone, bool both_passes,
               std::int64_t from, std::int64_t to, Fn&& fn) {
  to = std::min(to, k_end);
  CronCursor own(spec), gap(spec);
  for (std::int64_t u = from; u < to;) {
    Span s = span_at(zone, u);
    std::int64_t end = std::min(s.end, to);
    // Own slots: local [u + o, end + o), minus a fold's second pass unless both fire.
    std::int64_t lo = u + s.offset;
    if (s.prev > s.offset && !both_passes) lo = std::max(lo, s.begin + s.prev);
    std::int64_t hi = end + s.offset;
    bool a = lo < hi && own.seek(lo) && own.time() < hi;
    // Gap slots: local [begin + p, begin + o), firing at L - p (before `end`).
    bool b = false;
    std::int64_t gap_hi = std::min(s.begin + s.offset, end + s.prev);
    if (s.offset > s.prev) {
      std::int64_t gap_lo = std::max(s.begin + s.prev, u + s.prev);
      b = gap_lo < gap_hi && gap.seek(gap_lo) && gap.time() < gap_hi;
    }
    while (a || b) {
      std::int64_t ia = a ? own.time() - s.offset : k_end;
      std::int64_t ib = b ? gap.time() - s.prev : k_end;
      std::int64_t next = std::min(ia, ib);
      if (!fn(next)) return;
      if (ia == next) a = own.advance() && own.time() < hi;
      if (ib == next) b = gap.advance() && gap.time() < gap_hi;
    }
    u = end;
  }
}

template <class Fn>
void walk_interval(const CronSpec& spec, std::int64_t from, std::int64_t to, Fn&& fn) {
  to = std::min(to, k_end);
  // The first multiple of the period (plus offset) at or after `from`: ceil((from-off)/p).
  std::int64_t x = from - spec.offset;
  std::int64_t k = x / spec.period + ((x % spec.period > 0) ? 1 : 0);
  for (std::int64_t t = k * spec.period + spec.offset; t < to; t += spec.period)
    if (!fn(t)) return;
}

}  // namespace

std::string ScheduleError::message() const {
  return fmt::format("field '{}' (col {}): {}", field, column, reason);
}

struct Schedule::Parsed {
  CronSpec spec;
  std::string text;
  std::vector<std::string> warnings;
};

Result<Schedule, ScheduleError> Schedule::parse(std::string_view text, std::string_view hash_seed,
                                                const date::time_zone* zone, DstFold fold) {
  std::vector<std::string> warnings;
  auto spec = parse_cron(text, hash_seed, warnings);
  if (!spec) return spec.error();
  Schedule s;
  s.m_parsed = std::make_shared<const Parsed>(
      Parsed{std::move(*spec), std::string(text), std::move(warnings)});
  s.m_zone = zone;
  s.m_fold = fold;
  return s;
}

const std::string& Schedule::text() const {
  static const std::string none;
  return m_parsed ? m_parsed->text : none;
}

const std::vector<std::string>& Schedule::warnings() const {
  static const std::vector<std::string> none;
  return m_parsed ? m_parsed->warnings : none;
}

Result<Schedule, ScheduleError> ScheduleCache::parse(std::string_view text,
                                                     std::string_view hash_seed,
                                                     const date::time_zone* zone, DstFold fold) {
  auto it = m_by_text.find(text);
  if (it == m_by_text.end()) {
    auto parsed = Schedule::parse(text, hash_seed, zone, fold);
    if (!parsed || parsed->m_parsed->spec.hashed) return parsed;
    it = m_by_text.emplace(std::string(text), *parsed).first;
  }
  Schedule s = it->second;
  s.m_zone = zone;
  s.m_fold = fold;
  return s;
}

bool Schedule::is_interval() const {
  return m_parsed && m_parsed->spec.interval;
}

std::optional<sys_seconds> Schedule::next_after(sys_seconds t) const {
  std::optional<sys_seconds> out;
  for_each_in(t + seconds{1}, sys_seconds{seconds{k_end}}, [&out](sys_seconds s) {
    out = s;
    return false;
  });
  return out;
}

void Schedule::for_each_in(sys_seconds from, sys_seconds to,
                           const std::function<bool(sys_seconds)>& fn) const {
  if (!m_parsed) return;
  const auto& spec = m_parsed->spec;
  auto emit = [&fn](std::int64_t t) { return fn(sys_seconds{seconds{t}}); };
  std::int64_t a = std::max(from.time_since_epoch().count(), k_begin);
  std::int64_t b = to.time_since_epoch().count();
  if (spec.interval) return walk_interval(spec, a, b, emit);
  bool both = m_fold == DstFold::both || (m_fold == DstFold::automatic && !spec.hour_fixed);
  walk_cron(spec, m_zone, both, a, b, emit);
}

}  // namespace bsched::config
