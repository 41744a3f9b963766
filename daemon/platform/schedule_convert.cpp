// The platform's "Advanced (cron)" rule fields, parsed strictly and written back in cron form.
#include "daemon/platform/schedule_convert.h"

#include "config/escape.h"
#include "config/schedule.h"
#include "daemon/platform/wire.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>

namespace bsched::platform {

namespace {

enum class Names { none, month, weekday };

// One platform field: its key, its value range, and how it maps to ours.
struct FieldDef {
  const char* key;  // as in the platform's JSON
  int min;
  int max;
  bool day;     // '?' allowed
  Names names;
  int shift;    // added to every value: day-of-week 1-7 -> 0-6
};

constexpr FieldDef k_minutes{"minutes", 0, 59, false, Names::none, 0};
constexpr FieldDef k_hours{"hours", 0, 23, false, Names::none, 0};
constexpr FieldDef k_days_of_month{"daysOfMonth", 1, 31, true, Names::none, 0};
constexpr FieldDef k_months{"months", 1, 12, false, Names::month, 0};
constexpr FieldDef k_days_of_week{"daysOfWeek", 1, 7, true, Names::weekday, -1};

constexpr std::array<std::string_view, 12> k_month_names = {
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> k_day_names = {"SUN", "MON", "TUE", "WED",
                                                         "THU", "FRI", "SAT"};

// A field cut to a printable, bounded form for messages.
std::string shown(std::string_view text) { return escape_text(cap_text(text, 64)); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The converted field: our text and the set of platform values it selects.
struct Field {
  std::string text;
  std::uint64_t bits = 0;  // bit v: platform value v selected
  bool full = false;       // every value selected
};

using FieldResult = std::optional<std::string>;  // a problem, or nullopt

class FieldConverter {
 public:
  explicit FieldConverter(const FieldDef& def) : m_def(def) {}

  // Converts the field's text; the returned string is a problem.
  FieldResult convert(std::string_view text, Field& out) {
    std::string items;
    std::size_t start = 0;
    for (;;) {
      auto comma = text.find(',', start);
      auto item = trim(text.substr(start, comma == text.npos ? text.npos : comma - start));
      if (item.empty()) return problem("an empty list item");
      std::string ours;
      if (auto p = convert_item(item, ours)) return p;
      items += (items.empty() ? "" : ",") + ours;
      if (comma == text.npos) break;
      start = comma + 1;
    }
    std::uint64_t all = 0;
    for (int v = m_def.min; v <= m_def.max; ++v) all |= std::uint64_t{1} << v;
    out.bits = m_bits;
    out.full = m_bits == all;
    out.text = out.full ? "*" : items;
    return std::nullopt;
  }

 private:
  std::string problem(std::string what) const {
    return fmt::format("{} has {}", m_def.key, what);
  }

  // A number or (months, days of week) a three-letter name, within the field's range.
  std::optional<int> value(std::string_view tok, std::string& err) const {
    long long v = -1;
    if (all_digits(tok)) {
      if (tok.size() <= 4) std::from_chars(tok.data(), tok.data() + tok.size(), v);
      else v = 99999;
    } else {
      std::string up;
      for (char c : tok) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (m_def.names == Names::month)
        for (std::size_t i = 0; i < k_month_names.size(); ++i)
          if (up == k_month_names[i]) v = static_cast<long long>(i) + 1;
      if (m_def.names == Names::weekday)
        for (std::size_t i = 0; i < k_day_names.size(); ++i)
          if (up == k_day_names[i]) v = static_cast<long long>(i) + 1;
      if (v < 0) {
        err = problem(fmt::format("'{}', which is not a value of the platform's syntax", shown(tok)));
        return std::nullopt;
      }
    }
    if (v < m_def.min || v > m_def.max) {
      err = problem(fmt::format("{} outside {}-{}", shown(tok), m_def.min, m_def.max));
      return std::nullopt;
    }
    return static_cast<int>(v);
  }

  int ours(int v) const { return v + m_def.shift; }

  void select(int lo, int hi, int step) {
    for (int v = lo; v <= hi; v += step) m_bits |= std::uint64_t{1} << v;
  }

  FieldResult convert_item(std::string_view item, std::string& out) {
    auto slash = item.find('/');
    auto base = item.substr(0, slash);
    int step = 0;
    if (slash != item.npos) {
      auto s = item.substr(slash + 1);
      if (!all_digits(s) || s.size() > 4 || s.front() == '0')
        return problem(fmt::format("step '{}', which is not a positive number", shown(s)));
      std::from_chars(s.data(), s.data() + s.size(), step);
    }
    if (base == "?") {
      if (!m_def.day) return problem("'?', which only day fields accept");
      if (step) return problem("'?' with a step");
      base = "*";
    }
    int lo = m_def.min, hi = m_def.max;
    bool star = base == "*";
    if (!star) {
      std::string err;
      auto dash = base.find('-', 1);
      auto a = value(base.substr(0, dash), err);
      if (!a) return err;
      lo = hi = *a;
      if (dash != base.npos) {
        auto b = value(base.substr(dash + 1), err);
        if (!b) return err;
        if (*b < *a) return problem(fmt::format("the reversed range '{}'", shown(base)));
        hi = *b;
      } else if (step) {
        hi = m_def.max;  // a/n: from a to the field's end
      }
    }
    select(lo, hi, step ? step : 1);
    if (star && !step) out = "*";
    else if (step && step > hi - lo) out = std::to_string(ours(lo));  // only the start
    else if (star) out = fmt::format("*/{}", step);
    else if (lo == hi) out = std::to_string(ours(lo));
    else if (step) out = fmt::format("{}-{}/{}", ours(lo), ours(hi), step);
    else out = fmt::format("{}-{}", ours(lo), ours(hi));
    return std::nullopt;
  }

  const FieldDef& m_def;
  std::uint64_t m_bits = 0;
};

// The field's text, or "*" with a note when absent or empty.
std::string_view field_text(const std::optional<std::string>& f, const char* key,
                            std::vector<std::string>& notes) {
  if (f && !trim(*f).empty()) return trim(*f);
  notes.push_back(fmt::format("{} is absent; read as '*'", key));
  return "*";
}

}  // namespace

ConvertedRule convert_rule(const ScheduleRule& rule) {
  ConvertedRule out;
  auto years = field_text(rule.years, "years", out.notes);
  if (years != "*") {
    out.problem = fmt::format("years is restricted to '{}'; boomi-sched schedules have no year "
                              "field",
                              shown(years));
    return out;
  }
  std::array<const FieldDef*, 5> defs = {&k_minutes, &k_hours, &k_days_of_month, &k_months,
                                         &k_days_of_week};
  std::array<const std::optional<std::string>*, 5> texts = {
      &rule.minutes, &rule.hours, &rule.days_of_month, &rule.months, &rule.days_of_week};
  std::array<Field, 5> fields;
  for (std::size_t i = 0; i < defs.size(); ++i) {
    auto text = field_text(*texts[i], defs[i]->key, out.notes);
    if (auto p = FieldConverter(*defs[i]).convert(text, fields[i])) {
      out.problem = *p;
      return out;
    }
  }
  if (!fields[2].full && !fields[4].full) {
    out.problem = "both daysOfMonth and daysOfWeek are restricted; the platform does not document "
                  "whether a day must match both or either";
    return out;
  }
  auto expr = fmt::format("{} {} {} {} {}", fields[0].text, fields[1].text, fields[2].text,
                          fields[3].text, fields[4].text);
  auto parsed = config::Schedule::parse(expr);
  if (!parsed) {
    out.problem = fmt::format("it converts to '{}', which boomi-sched rejects: {}", expr,
                              parsed.error().message());
    return out;
  }
  out.expression = std::move(expr);
  return out;
}

std::string describe_rule(const ScheduleRule& rule) {
  std::string out;
  auto add = [&](const char* key, const std::optional<std::string>& v) {
    if (!v) return;
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", key, shown(*v));
  };
  add("minutes", rule.minutes);
  add("hours", rule.hours);
  add("daysOfWeek", rule.days_of_week);
  add("daysOfMonth", rule.days_of_month);
  add("months", rule.months);
  add("years", rule.years);
  return out.empty() ? "(no fields)" : out;
}

bool ConvertedProcess::complete() const {
  if (!retry_problem.empty()) return false;
  for (const auto& r : rules)
    if (!r.ok()) return false;
  return true;
}

bool ConvertedProcess::any() const {
  for (const auto& r : rules)
    if (r.ok()) return true;
  return false;
}

ConvertedProcess convert_process(const ProcessSchedules& schedules) {
  ConvertedProcess out;
  for (const auto& rule : schedules.rules) out.rules.push_back(convert_rule(rule));
  if (schedules.retry) {
    out.retry_problem = fmt::format(
        "a Retry block (maxRetry {}, {} rule(s)) re-runs failed scheduled runs on the platform; "
        "boomi-sched has no equivalent (see submit_retry for failed submissions)",
        schedules.retry->max_retry ? std::to_string(*schedules.retry->max_retry) : "absent",
        schedules.retry->rules.size());
  }
  return out;
}

}  // namespace bsched::platform
