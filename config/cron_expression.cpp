// parse_cron: an expression (fields, macros, @every) into a CronSpec, with the checks that
// need the whole expression (never fires) and the remarks about the day-field rule.
#include "config/cron_parse.h"
#include "config/loader_util.h"
#include "base/time_util.h"

#include <fmt/format.h>

#include <array>
#include <cctype>

namespace bsched::config {

namespace {

using detail::FieldParser;

struct Word {
  std::string_view text;
  int col;  // 1-based
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::vector<Word> split_words(std::string_view text) {
  std::vector<Word> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.push_back({text.substr(start, i - start), static_cast<int>(start) + 1});
  }
  return words;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ScheduleError expression_error(int col, std::string reason) {
  return ScheduleError{"expression", col, std::move(reason)};
}

// Whole seconds, at least `min_s`; `what` names the value in messages.
Result<std::int64_t, ScheduleError> whole_seconds(std::string_view text, int col,
                                                  const char* what, std::int64_t min_s) {
  auto d = parse_duration(text);
  if (!d) return expression_error(col, d.error().message);
  if (d->count() % 1000 != 0)
    return expression_error(col, fmt::format("{} {} is not a whole number of seconds", what,
                                             format_duration(*d)));
  if (d->count() / 1000 < min_s)
    return expression_error(col, fmt::format("{} must be at least {}s", what, min_s));
  return d->count() / 1000;
}

// "@every 15m" or "@every 1h+15m"; `col` is where the duration starts.
Result<CronSpec, ScheduleError> parse_every(std::string_view rest, int col) {
  if (rest.empty())
    return expression_error(col, "@every needs a duration, e.g. '@every 15m' or '@every 1h+15m'");
  size_t plus = rest.find('+');
  CronSpec spec;
  spec.interval = true;
  auto period = whole_seconds(rest.substr(0, plus), col, "the interval", 1);
  if (!period) return period.error();
  spec.period = *period;
  if (plus != std::string_view::npos) {
    int off_col = col + static_cast<int>(plus) + 1;
    auto offset = whole_seconds(rest.substr(plus + 1), off_col, "the offset", 0);
    if (!offset) return offset.error();
    if (*offset >= spec.period)
      return expression_error(off_col, fmt::format("the offset {} must be shorter than the "
                                                   "interval {}",
                                                   rest.substr(plus + 1),
                                                   rest.substr(0, plus)));
    spec.offset = *offset;
  }
  return spec;
}

const std::array<std::pair<std::string_view, std::string_view>, 7> k_macros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

Result<CronSpec, ScheduleError> parse_macro(std::string_view text, int col,
                                            std::vector<std::string>& warnings) {
  size_t end = 0;
  while (end < text.size() && !is_space(text[end])) ++end;
  auto name = lower(text.substr(0, end));
  auto rest = text.substr(end);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1), ++end;
  if (name == "@every") return parse_every(rest, col + static_cast<int>(end));
  std::vector<std::string_view> names;
  for (const auto& [macro, expansion] : k_macros) {
    names.push_back(macro);
    if (name != macro) continue;
    if (!rest.empty())
      return expression_error(col + static_cast<int>(end),
                              fmt::format("unexpected text '{}' after {}", rest, macro));
    return parse_cron(expansion, {}, warnings);
  }
  names.push_back("@every");
  return expression_error(col, fmt::format("unknown macro '{}' (known: @yearly, @annually, "
                                           "@monthly, @weekly, @daily, @midnight, @hourly, "
                                           "@every <duration>){}",
                                           text.substr(0, end),
                                           detail::did_you_mean(name, names)));
}

// Stores a parsed field's bits in the spec (day-of-week 7 is Sunday).
void store(CronSpec& spec, CronField f, std::uint64_t bits) {
  switch (f) {
    case CronField::second: spec.seconds = bits; break;
    case CronField::minute: spec.minutes = bits; break;
    case CronField::hour: spec.hours = static_cast<std::uint32_t>(bits); break;
    case CronField::day_of_month: spec.dom = static_cast<std::uint32_t>(bits); break;
    case CronField::month: spec.months = static_cast<std::uint32_t>(bits); break;
    case CronField::day_of_week:
      spec.dow = static_cast<std::uint32_t>((bits | (bits >> 7)) & 0x7F);
      break;
  }
}

// Rejects a day/month combination that matches no day in a 28-year span, which holds every
// combination of leap year and weekday of January 1st.
std::optional<ScheduleError> check_fires(const CronSpec& spec, const std::vector<Word>& fields,
                                         size_t dom_index) {
  for (int y = 2000; y < 2028; ++y)
    for (unsigned m = 1; m <= 12; ++m)
      if ((spec.months & (1u << m)) && spec.day_mask(y, m)) return std::nullopt;
  const auto& dom = fields[dom_index];
  const auto& month = fields[dom_index + 1];
  const auto& dow = fields[dom_index + 2];
  bool dom_star = dom.text == "*" || dom.text == "?";
  bool dow_star = dow.text == "*" || dow.text == "?";
  std::string days = fmt::format("day-of-month '{}'", dom.text);
  if (dom_star) days = fmt::format("day-of-week '{}'", dow.text);
  if (!dom_star && !dow_star) days += fmt::format(" with day-of-week '{}'", dow.text);
  const auto& at = dom_star ? dow : dom;
  return ScheduleError{dom_star ? "day-of-week" : "day-of-month", at.col,
                       fmt::format("the expression never fires: no day matches {} in month '{}'",
                                   days, month.text)};
}

void add_day_rule_warnings(const CronSpec& spec, const std::vector<Word>& fields,
                           size_t dom_index, std::vector<std::string>& warnings) {
  auto dom = fields[dom_index].text;
  auto dow = fields[dom_index + 2].text;
  bool dom_restricted = !(dom == "*" || dom == "?");
  bool dow_restricted = !(dow == "*" || dow == "?");
  if (!dom_restricted || !dow_restricted) return;
  if (spec.dom_any || spec.dow_any) {
    warnings.push_back(fmt::format(
        "day-of-month '{}' and day-of-week '{}' are combined with AND because '{}' starts "
        "with '*' (Vixie cron rule); without the '*' they would be combined with OR",
        dom, dow, spec.dom_any ? dom : dow));
  } else {
    warnings.push_back(fmt::format(
        "day-of-month '{}' and day-of-week '{}' are both restricted, so a day matches if "
        "EITHER matches (Vixie cron rule), not both",
        dom, dow));
  }
}

}  // namespace

Result<CronSpec, ScheduleError> parse_cron(std::string_view text, std::string_view seed,
                                           std::vector<std::string>& warnings) {
  auto words = split_words(text);
  if (words.empty()) return expression_error(1, "the expression is empty");
  if (words[0].text.starts_with('@'))
    return parse_macro(text.substr(static_cast<size_t>(words[0].col - 1)), words[0].col,
                       warnings);
  if (words.size() != 5 && words.size() != 6) {
    int col = words.size() > 6 ? words[6].col : 1;
    return expression_error(col, fmt::format("expected 5 fields (minute hour day-of-month month "
                                             "day-of-week) or 6 (with seconds first), found {}",
                                             words.size()));
  }
  CronSpec spec;
  size_t first = 0;
  if (words.size() == 5) {
    spec.seconds = 1;  // second 0
    first = 1;
  }
  for (size_t i = 0; i < words.size(); ++i) {
    auto field = static_cast<CronField>(i + first);
    FieldParser parser(field, seed, spec);
    if (auto err = parser.parse(words[i].text, words[i].col)) return *err;
    store(spec, field, parser.bits());
  }
  size_t dom_index = 3 - first;
  auto dom = words[dom_index].text, dow = words[dom_index + 2].text;
  spec.dom_any = dom.starts_with('*') || dom == "?";
  spec.dow_any = dow.starts_with('*') || dow == "?";
  spec.hour_fixed = !words[2 - first].text.starts_with('*');
  if (auto err = check_fires(spec, words, dom_index)) return *err;
  add_day_rule_warnings(spec, words, dom_index, warnings);
  return spec;
}

}  // namespace bsched::config
