// Parsing of one cron field into its bitmask (and the month-dependent day forms).
#include "config/cron_parse.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>

namespace bsched::config::detail {

namespace {

constexpr std::array<std::string_view, 12> k_month_names = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> k_day_names = {"SUN", "MON", "TUE", "WED",
                                                         "THU", "FRI", "SAT"};

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

const FieldDef& field_def(CronField f) {
  static const std::array<FieldDef, 6> defs = {{
      {CronField::second, "second", 0, 59},
      {CronField::minute, "minute", 0, 59},
      {CronField::hour, "hour", 0, 23},
      {CronField::day_of_month, "day-of-month", 1, 31},
      {CronField::month, "month", 1, 12},
      {CronField::day_of_week, "day-of-week", 0, 7},
  }};
  return defs[static_cast<size_t>(f)];
}

FieldParser::FieldParser(CronField field, std::string_view seed, CronSpec& spec)
    : m_def(field_def(field)), m_seed(seed), m_spec(spec) {}

ScheduleError FieldParser::fail(int col, std::string reason) const {
  return ScheduleError{m_def.name, col, std::move(reason)};
}

bool FieldParser::is_day_field() const {
  return m_def.id == CronField::day_of_month || m_def.id == CronField::day_of_week;
}

// The highest value of `*`, `a/n` and H: Sunday is 0, so day-of-week stops at 6.
int FieldParser::top() const { return m_def.id == CronField::day_of_week ? 6 : m_def.max; }

std::optional<ScheduleError> FieldParser::parse(std::string_view text, int col) {
  size_t start = 0;
  for (;;) {
    size_t comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    int item_col = col + static_cast<int>(start);
    if (item.empty()) return fail(item_col, "empty list item (two commas, or a comma at an end)");
    if (auto err = parse_item(item, item_col)) return err;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::nullopt;
}

Result<int, ScheduleError> FieldParser::value(std::string_view tok, int col) const {
  if (tok.empty()) return fail(col, "a value is missing");
  long long v = -1;
  if (all_digits(tok)) {
    if (tok.size() > 6) return fail(col, fmt::format("{} is out of range {}-{}", tok, m_def.min, m_def.max));
    std::from_chars(tok.data(), tok.data() + tok.size(), v);
  } else {
    auto name = upper(tok);
    if (m_def.id == CronField::month) {
      for (size_t i = 0; i < k_month_names.size(); ++i)
        if (name == k_month_names[i]) v = static_cast<long long>(i) + 1;
    } else if (m_def.id == CronField::day_of_week) {
      for (size_t i = 0; i < k_day_names.size(); ++i)
        if (name == k_day_names[i]) v = static_cast<long long>(i);
    }
    if (v < 0) return fail(col, fmt::format("'{}' is not {}", tok, expected_values()));
  }
  if (v < m_def.min || v > m_def.max)
    return fail(col, fmt::format("{} is out of range {}-{}", v, m_def.min, m_def.max));
  return static_cast<int>(v);
}

std::string FieldParser::expected_values() const {
  switch (m_def.id) {
    case CronField::month: return "a month (1-12 or JAN-DEC)";
    case CronField::day_of_week: return "a day of the week (0-7 or SUN-SAT)";
    default: return fmt::format("a number {}-{}", m_def.min, m_def.max);
  }
}

Result<int, ScheduleError> FieldParser::step(std::string_view tok, int col) const {
  int size = top() - m_def.min + 1;
  if (!all_digits(tok)) return fail(col, fmt::format("step '{}' is not a positive number", tok));
  long long n = tok.size() > 6 ? 1'000'000 : 0;
  if (n == 0) std::from_chars(tok.data(), tok.data() + tok.size(), n);
  if (n < 1) return fail(col, "step must be at least 1");
  if (n > size) return fail(col, fmt::format("step {} is larger than the field's range {}-{}", n,
                                             m_def.min, top()));
  return static_cast<int>(n);
}

void FieldParser::set_range(int lo, int hi, int stride) {
  for (int v = lo; v <= hi; v += stride) m_bits |= std::uint64_t{1} << v;
}

std::optional<ScheduleError> FieldParser::parse_item(std::string_view item, int col) {
  auto up = upper(item);
  std::optional<ScheduleError> err;
  if (m_def.id == CronField::day_of_month && parse_dom_special(up, col, err)) return err;
  if (m_def.id == CronField::day_of_week && parse_dow_special(up, col, err)) return err;
  size_t slash = item.find('/');
  std::string_view base = item.substr(0, slash);
  int stride = 1;
  bool stepped = slash != std::string_view::npos;
  if (stepped) {
    auto s = step(item.substr(slash + 1), col + static_cast<int>(slash) + 1);
    if (!s) return s.error();
    stride = *s;
  }
  if (base == "*") {
    set_range(m_def.min, top(), stride);
    return std::nullopt;
  }
  if (base == "?") {
    if (!is_day_field()) return fail(col, "'?' is only allowed in day-of-month and day-of-week");
    if (stepped) return fail(col, "'?' takes no step");
    set_range(m_def.min, top(), 1);
    return std::nullopt;
  }
  if (!base.empty() && (base[0] == 'H' || base[0] == 'h')) return parse_hashed(base, col, stepped ? stride : 0);
  return parse_range(base, col, stepped, stride);
}

std::optional<ScheduleError> FieldParser::parse_range(std::string_view base, int col,
                                                      bool stepped, int stride) {
  size_t dash = base.find('-', 1);
  auto lo = value(base.substr(0, dash), col);
  if (!lo) return lo.error();
  int hi = *lo;
  if (dash != std::string_view::npos) {
    int hi_col = col + static_cast<int>(dash) + 1;
    auto h = value(base.substr(dash + 1), hi_col);
    if (!h) return h.error();
    hi = *h;
    // "FRI-SUN": Sunday at the end of a range means 7.
    if (m_def.id == CronField::day_of_week && hi == 0 && *lo > 0) hi = 7;
    if (*lo > hi)
      return fail(col, fmt::format("range {} is reversed: the start must not be after the end",
                                   base));
  } else if (stepped) {
    hi = m_def.max;  // a/n: from a to the field's end (day-of-week: to 7, Sunday, as cronie)
  }
  set_range(*lo, hi, stride);
  return std::nullopt;
}

}  // namespace bsched::config::detail
