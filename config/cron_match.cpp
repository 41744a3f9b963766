// Day masks and the local-slot cursor of the schedule engine.
#include "config/cron_spec.h"

#include <date/date.h>

#include <bit>

namespace bsched::config {

namespace {

constexpr int k_max_year = 9999;

// The lowest set bit of `mask` at or above `from`, or -1.
int next_bit(std::uint64_t mask, std::int64_t from) {
  if (from >= 64) return -1;
  mask &= ~std::uint64_t{0} << from;
  return mask ? std::countr_zero(mask) : -1;
}

unsigned last_day(int y, unsigned m) {
  return static_cast<unsigned>(
      date::year_month_day_last{date::year{y}, date::month_day_last{date::month{m}}}.day());
}

// 0 = Sunday, of day 1 of the month.
unsigned first_weekday(int y, unsigned m) {
  return date::weekday{date::sys_days{date::year{y} / date::month{m} / 1}}.c_encoding();
}

bool is_weekday(unsigned wd) { return wd >= 1 && wd <= 5; }

// The Monday-Friday day nearest to `n` without leaving the month (Quartz semantics).
unsigned nearest_weekday(unsigned n, unsigned last, unsigned wd1) {
  unsigned wd = (wd1 + n - 1) % 7;
  if (wd == 6) return n == 1 ? 3 : n - 1;        // Saturday: Friday, or Monday the 3rd
  if (wd == 0) return n == last ? n - 2 : n + 1;  // Sunday: Monday, or Friday at month end
  return n;
}

std::uint32_t dom_mask(const CronSpec& s, unsigned last, unsigned wd1) {
  std::uint32_t valid = (last >= 31 ? 0xFFFFFFFFu : ((1u << (last + 1)) - 1)) & ~1u;
  std::uint32_t mask = s.dom & valid;
  for (const auto& sp : s.dom_special) {
    int day = 0;
    switch (sp.kind) {
      case DomSpecial::Kind::last: day = static_cast<int>(last); break;
      case DomSpecial::Kind::last_minus: day = static_cast<int>(last) - sp.n; break;
      case DomSpecial::Kind::nearest_weekday:
        if (sp.n <= static_cast<int>(last))
          day = static_cast<int>(nearest_weekday(static_cast<unsigned>(sp.n), last, wd1));
        break;
      case DomSpecial::Kind::last_weekday: {
        unsigned d = last;
        while (!is_weekday((wd1 + d - 1) % 7)) --d;
        day = static_cast<int>(d);
        break;
      }
    }
    if (day >= 1) mask |= 1u << day;
  }
  return mask;
}

std::uint32_t dow_mask(const CronSpec& s, unsigned last, unsigned wd1) {
  std::uint32_t mask = 0;
  for (unsigned d = 1; d <= last; ++d)
    if (s.dow & (1u << ((wd1 + d - 1) % 7))) mask |= 1u << d;
  for (const auto& sp : s.dow_special) {
    unsigned first = 1 + (static_cast<unsigned>(sp.weekday) + 7 - wd1) % 7;
    unsigned day = 0;
    if (sp.kind == DowSpecial::Kind::nth) {
      day = first + 7 * static_cast<unsigned>(sp.n - 1);
    } else {
      day = first + 7 * ((last - first) / 7);
    }
    if (day <= last) mask |= 1u << day;
  }
  return mask;
}

}  // namespace

std::uint32_t CronSpec::day_mask(int y, unsigned m) const {
  unsigned last = last_day(y, m);
  unsigned wd1 = first_weekday(y, m);
  std::uint32_t by_dom = dom_mask(*this, last, wd1);
  std::uint32_t by_dow = dow_mask(*this, last, wd1);
  // Vixie: a field whose text starts with '*' (or is '?') makes the two fields AND-ed; two
  // restricted fields are OR-ed.
  return (dom_any || dow_any) ? (by_dom & by_dow) : (by_dom | by_dow);
}

std::uint64_t cron_hash(std::string_view seed, CronField field) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  for (char c : seed) mix(static_cast<unsigned char>(c));
  mix(static_cast<unsigned char>(field));
  return h;
}

void CronCursor::load_month() {
  if (m_mask_y == m_y && m_mask_mo == m_mo) return;
  m_days = m_spec.day_mask(m_y, m_mo);
  m_mask_y = m_y;
  m_mask_mo = m_mo;
}

bool CronCursor::seek(LocalSeconds t) {
  // Already on the first slot at or after an earlier bound <= t, and that slot is >= t:
  // it is also the first slot at or after t. Spares sparse schedules a rescan per interval.
  if (m_valid && t >= m_from && t <= time()) return true;
  m_from = t;
  m_valid = seek_fields(t);
  return m_valid;
}

bool CronCursor::seek_fields(LocalSeconds t) {
  auto days = date::floor<date::days>(date::sys_seconds{std::chrono::seconds{t}});
  date::year_month_day ymd{days};
  if (static_cast<int>(ymd.year()) > k_max_year) return false;
  auto rest = t - std::chrono::duration_cast<std::chrono::seconds>(days.time_since_epoch()).count();
  m_y = static_cast<int>(ymd.year());
  m_mo = static_cast<unsigned>(ymd.month());
  m_d = static_cast<unsigned>(ymd.day());
  m_h = rest / 3600;
  m_mi = rest / 60 % 60;
  m_s = rest % 60;
  m_day_known = false;  // forces a recomputation in settle()
  return settle();
}

bool CronCursor::advance() {
  m_from = time() + 1;
  ++m_s;
  m_valid = settle();
  return m_valid;
}

// From a position that may not match, moves to the first matching slot at or after it.
// Each level either matches, or resets the levels below and carries into the one above.
bool CronCursor::settle() {
  const auto& s = m_spec;
  unsigned start_y = static_cast<unsigned>(m_y), start_mo = m_mo, start_d = m_d;
  for (;;) {
    if (m_y > k_max_year) return false;
    int mo = next_bit(s.months, m_mo);
    if (mo < 0) {
      ++m_y, m_mo = 1, m_d = 1, m_h = m_mi = m_s = 0;
      continue;
    }
    if (static_cast<unsigned>(mo) != m_mo) m_mo = static_cast<unsigned>(mo), m_d = 1, m_h = m_mi = m_s = 0;
    load_month();
    int d = next_bit(m_days, m_d);
    if (d < 0) {
      ++m_mo, m_d = 1, m_h = m_mi = m_s = 0;
      if (m_mo > 12) ++m_y, m_mo = 1;
      continue;
    }
    if (static_cast<unsigned>(d) != m_d) m_d = static_cast<unsigned>(d), m_h = m_mi = m_s = 0;
    int h = next_bit(s.hours, m_h);
    if (h < 0) {
      ++m_d, m_h = m_mi = m_s = 0;
      continue;
    }
    if (h != m_h) m_h = h, m_mi = m_s = 0;
    int mi = next_bit(s.minutes, m_mi);
    if (mi < 0) {
      ++m_h, m_mi = m_s = 0;
      continue;
    }
    if (mi != m_mi) m_mi = mi, m_s = 0;
    int sec = next_bit(s.seconds, m_s);
    if (sec < 0) {
      ++m_mi, m_s = 0;
      continue;
    }
    m_s = sec;
    break;
  }
  if (!m_day_known || static_cast<unsigned>(m_y) != start_y || m_mo != start_mo || m_d != start_d) {
    auto day = date::sys_days{date::year{m_y} / date::month{m_mo} / date::day{m_d}};
    m_day_start = std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count();
    m_day_known = true;
  }
  return true;
}

}  // namespace bsched::config
