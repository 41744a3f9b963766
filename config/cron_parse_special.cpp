// The extended field forms: H (hashed), L, L-n, nW, LW in day-of-month, dL and d#k in
// day-of-week.
#include "config/cron_parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bsched::config::detail {

namespace {

// A small non-negative number, or -1 when `s` is not 1-3 digits.
int small_number(std::string_view s) {
  if (s.empty() || s.size() > 3) return -1;
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return (ec == std::errc{} && end == s.data() + s.size()) ? n : -1;
}

}  // namespace

std::optional<ScheduleError> FieldParser::parse_hashed(std::string_view base, int col,
                                                       int stride) {
  int lo = m_def.min, hi = top();
  // Day-of-month stops at 28 so that a hashed day exists in every month.
  if (m_def.id == CronField::day_of_month) hi = 28;
  if (base.size() > 1) {
    if (base.size() < 5 || base[1] != '(' || base.back() != ')')
      return fail(col, fmt::format("'{}' is not a hashed value (H, H(a-b), H/n or H(a-b)/n)",
                                   base));
    auto inner = base.substr(2, base.size() - 3);
    size_t dash = inner.find('-', 1);
    if (dash == std::string_view::npos)
      return fail(col + 2, fmt::format("'{}' is not a range a-b", inner));
    auto a = value(inner.substr(0, dash), col + 2);
    if (!a) return a.error();
    auto b = value(inner.substr(dash + 1), col + 3 + static_cast<int>(dash));
    if (!b) return b.error();
    if (*a > *b)
      return fail(col + 2, fmt::format("range {} is reversed: the start must not be after the "
                                       "end",
                                       inner));
    lo = *a;
    hi = *b;
  }
  auto size = static_cast<std::uint64_t>(hi - lo + 1);
  auto h = cron_hash(m_seed, m_def.id);
  m_spec.hashed = true;
  if (stride == 0) {
    set_range(lo + static_cast<int>(h % size), lo + static_cast<int>(h % size), 1);
  } else {
    auto spread = std::min<std::uint64_t>(static_cast<std::uint64_t>(stride), size);
    set_range(lo + static_cast<int>(h % spread), hi, stride);
  }
  return std::nullopt;
}

bool FieldParser::parse_dom_special(std::string_view up, int col,
                                    std::optional<ScheduleError>& err) {
  using Kind = DomSpecial::Kind;
  if (up == "L") {
    m_spec.dom_special.push_back({Kind::last, 0});
  } else if (up == "LW") {
    m_spec.dom_special.push_back({Kind::last_weekday, 0});
  } else if (up.starts_with("L-")) {
    int n = small_number(up.substr(2));
    if (n < 1 || n > 30)
      err = fail(col + 2, fmt::format("L-n: '{}' is not a number of days 1-30", up.substr(2)));
    else
      m_spec.dom_special.push_back({Kind::last_minus, n});
  } else if (up.size() > 1 && up.back() == 'W' && up.find('/') == std::string_view::npos) {
    int n = small_number(up.substr(0, up.size() - 1));
    if (n < 1 || n > 31)
      err = fail(col, fmt::format("nW: '{}' is not a day of the month 1-31",
                                  up.substr(0, up.size() - 1)));
    else
      m_spec.dom_special.push_back({Kind::nearest_weekday, n});
  } else {
    return false;
  }
  return true;
}

bool FieldParser::parse_dow_special(std::string_view up, int col,
                                    std::optional<ScheduleError>& err) {
  using Kind = DowSpecial::Kind;
  if (up.find('/') != std::string_view::npos) return false;
  if (auto hash = up.find('#'); hash != std::string_view::npos) {
    auto d = value(up.substr(0, hash), col);
    int k = small_number(up.substr(hash + 1));
    if (!d)
      err = d.error();
    else if (k < 1 || k > 5)
      err = fail(col + static_cast<int>(hash) + 1,
                 fmt::format("d#k: '{}' is not a week of the month 1-5", up.substr(hash + 1)));
    else
      m_spec.dow_special.push_back({Kind::nth, *d % 7, k});
    return true;
  }
  if (up == "L") {
    err = fail(col, "'L' alone is not a day of the week; write dL for the last weekday d of "
                    "the month (5L = last Friday)");
    return true;
  }
  if (up.size() > 1 && up.back() == 'L') {
    auto d = value(up.substr(0, up.size() - 1), col);
    if (!d)
      err = d.error();
    else
      m_spec.dow_special.push_back({Kind::last_of_month, *d % 7, 0});
    return true;
  }
  return false;
}

}  // namespace bsched::config::detail
