// The parser of one cron field (internal to the schedule engine). parse_cron
// (cron_expression.cpp) splits an expression into fields and runs one FieldParser per field.
#pragma once

#include "config/cron_spec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bsched::config::detail {

struct FieldDef {
  CronField id;
  const char* name;  // as in error messages: "day-of-month"
  int min;
  int max;  // day-of-week: 7 (another Sunday)
};

const FieldDef& field_def(CronField f);

class FieldParser {
 public:
  FieldParser(CronField field, std::string_view hash_seed, CronSpec& spec);

  // Parses the field's text, which starts at 1-based column `col` of the expression.
  // Plain values go to bits(); L/W/# forms straight into the spec.
  std::optional<ScheduleError> parse(std::string_view text, int col);

  std::uint64_t bits() const { return m_bits; }

 private:
  std::optional<ScheduleError> parse_item(std::string_view item, int col);
  std::optional<ScheduleError> parse_range(std::string_view base, int col, bool stepped,
                                           int stride);
  // H, H(a-b), H/n, H(a-b)/n; `stride` 0 when there is no step.
  std::optional<ScheduleError> parse_hashed(std::string_view base, int col, int stride);
  // True when `up` (the upper-cased item) is one of the month-dependent forms; `err` then
  // tells whether it was valid.
  bool parse_dom_special(std::string_view up, int col, std::optional<ScheduleError>& err);
  bool parse_dow_special(std::string_view up, int col, std::optional<ScheduleError>& err);

  Result<int, ScheduleError> value(std::string_view tok, int col) const;
  Result<int, ScheduleError> step(std::string_view tok, int col) const;
  std::string expected_values() const;
  ScheduleError fail(int col, std::string reason) const;
  bool is_day_field() const;
  int top() const;
  void set_range(int lo, int hi, int stride);

  const FieldDef& m_def;
  std::string_view m_seed;
  CronSpec& m_spec;
  std::uint64_t m_bits = 0;
};

}  // namespace bsched::config::detail
