// One row per class of schedule error: the field, the 1-based column and the reason.
#include "tests/config/schedule_test_util.h"

#include <doctest/doctest.h>

#include <utility>
#include <vector>

using bsched::test::parse_error;

namespace {

void check_errors(const std::vector<std::pair<const char*, const char*>>& table) {
  for (const auto& [expr, message] : table) {
    INFO("expression: '", expr, "'");
    CHECK(parse_error(expr) == message);
  }
}

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("values out of a field's range name the field, column and range") {
    check_errors({
        {"30 24 * * *", "field 'hour' (col 4): 24 is out of range 0-23"},
        {"60 * * * *", "field 'minute' (col 1): 60 is out of range 0-59"},
        {"* * 0 * *", "field 'day-of-month' (col 5): 0 is out of range 1-31"},
        {"* * 32 * *", "field 'day-of-month' (col 5): 32 is out of range 1-31"},
        {"* * * 13 *", "field 'month' (col 7): 13 is out of range 1-12"},
        {"* * * * 8", "field 'day-of-week' (col 9): 8 is out of range 0-7"},
        {"60 * * * * *", "field 'second' (col 1): 60 is out of range 0-59"},
        {"0 20-24 * * *", "field 'hour' (col 6): 24 is out of range 0-23"},
        {"  5 99 * * *", "field 'hour' (col 5): 99 is out of range 0-23"},
        {"0 0 * * 1234567", "field 'day-of-week' (col 9): 1234567 is out of range 0-7"},
    });
  }

  TEST_CASE("unknown names and stray characters are rejected with what was expected") {
    check_errors({
        {"* * * * FOO", "field 'day-of-week' (col 9): 'FOO' is not a day of the week (0-7 or "
                        "SUN-SAT)"},
        {"* * * FOO *", "field 'month' (col 7): 'FOO' is not a month (1-12 or JAN-DEC)"},
        {"x * * * *", "field 'minute' (col 1): 'x' is not a number 0-59"},
        {"MON * * * *", "field 'minute' (col 1): 'MON' is not a number 0-59"},
        {"* * * * MONDAY", "field 'day-of-week' (col 9): 'MONDAY' is not a day of the week "
                           "(0-7 or SUN-SAT)"},
        {"1- * * * *", "field 'minute' (col 3): a value is missing"},
        {"-1 * * * *", "field 'minute' (col 1): '-1' is not a number 0-59"},
    });
  }

  TEST_CASE("bad ranges, steps and lists are rejected") {
    check_errors({
        {"5-2 * * * *", "field 'minute' (col 1): range 5-2 is reversed: the start must not be "
                        "after the end"},
        {"*/0 * * * *", "field 'minute' (col 3): step must be at least 1"},
        {"*/61 * * * *", "field 'minute' (col 3): step 61 is larger than the field's range 0-59"},
        {"*/x * * * *", "field 'minute' (col 3): step 'x' is not a positive number"},
        {"*/ * * * *", "field 'minute' (col 3): step '' is not a positive number"},
        {"1,,2 * * * *", "field 'minute' (col 3): empty list item (two commas, or a comma at an "
                         "end)"},
        {"0 0 * * 1,", "field 'day-of-week' (col 11): empty list item (two commas, or a comma "
                       "at an end)"},
        {"? * * * *", "field 'minute' (col 1): '?' is only allowed in day-of-month and "
                      "day-of-week"},
        {"0 0 ?/2 * *", "field 'day-of-month' (col 5): '?' takes no step"},
    });
  }

  TEST_CASE("a wrong number of fields or an empty text is an expression error") {
    check_errors({
        {"* * * *", "field 'expression' (col 1): expected 5 fields (minute hour day-of-month "
                    "month day-of-week) or 6 (with seconds first), found 4"},
        {"* * * * * * *", "field 'expression' (col 13): expected 5 fields (minute hour "
                          "day-of-month month day-of-week) or 6 (with seconds first), found 7"},
        {"", "field 'expression' (col 1): the expression is empty"},
        {"   ", "field 'expression' (col 1): the expression is empty"},
    });
  }

  TEST_CASE("expressions that can never fire are rejected") {
    check_errors({
        {"0 0 30 2 *", "field 'day-of-month' (col 5): the expression never fires: no day "
                       "matches day-of-month '30' in month '2'"},
        {"0 0 31 4,6 *", "field 'day-of-month' (col 5): the expression never fires: no day "
                         "matches day-of-month '31' in month '4,6'"},
        {"0 0 31W 4 *", "field 'day-of-month' (col 5): the expression never fires: no day "
                        "matches day-of-month '31W' in month '4'"},
        {"0 0 */29 2 1#5", "field 'day-of-month' (col 5): the expression never fires: no day "
                           "matches day-of-month '*/29' with day-of-week '1#5' in month '2'"},
        {"0 0 * 2 1#5,2#5,3#5,4#5,5#5,6#5,0#5", "(ok)"},  // leap Februaries have a 5th weekday
    });
  }

  TEST_CASE("malformed macros and @every durations are rejected") {
    check_errors({
        {"@dayly", "field 'expression' (col 1): unknown macro '@dayly' (known: @yearly, "
                   "@annually, @monthly, @weekly, @daily, @midnight, @hourly, @every "
                   "<duration>); did you mean '@daily'?"},
        {"@daily 5", "field 'expression' (col 8): unexpected text '5' after @daily"},
        {"@every", "field 'expression' (col 7): @every needs a duration, e.g. '@every 15m' or "
                   "'@every 1h+15m'"},
        {"@every 500ms", "field 'expression' (col 8): the interval 500ms is not a whole number "
                         "of seconds"},
        {"@every 0s", "field 'expression' (col 8): the interval must be at least 1s"},
        {"@every 1h+1h", "field 'expression' (col 11): the offset 1h must be shorter than the "
                         "interval 1h"},
        {"@every soon", "field 'expression' (col 8): 'soon' is not a duration: expected a "
                        "number (use forms like 500ms, 30s, 5m, 2h, 1d or 1h30m)"},
    });
  }

  TEST_CASE("malformed L, W, # and H forms are rejected at their column") {
    check_errors({
        {"0 0 L-31 * *", "field 'day-of-month' (col 7): L-n: '31' is not a number of days 1-30"},
        {"0 0 32W * *", "field 'day-of-month' (col 5): nW: '32' is not a day of the month 1-31"},
        {"0 0 * * 1#6", "field 'day-of-week' (col 11): d#k: '6' is not a week of the month 1-5"},
        {"0 0 * * 9#1", "field 'day-of-week' (col 9): 9 is out of range 0-7"},
        {"0 0 * * 8L", "field 'day-of-week' (col 9): 8 is out of range 0-7"},
        {"0 0 * * L", "field 'day-of-week' (col 9): 'L' alone is not a day of the week; write "
                      "dL for the last weekday d of the month (5L = last Friday)"},
        {"H(5-1) * * * *", "field 'minute' (col 3): range 5-1 is reversed: the start must not "
                           "be after the end"},
        {"H(5) * * * *", "field 'minute' (col 1): 'H(5)' is not a hashed value (H, H(a-b), H/n "
                         "or H(a-b)/n)"},
        {"HX * * * *", "field 'minute' (col 1): 'HX' is not a hashed value (H, H(a-b), H/n or "
                       "H(a-b)/n)"},
        {"H(0-99) * * * *", "field 'minute' (col 5): 99 is out of range 0-59"},
    });
  }

  TEST_CASE("the error message has the documented shape") {
    bsched::config::ScheduleError e{"hour", 5, "24 is out of range 0-23"};
    CHECK(e.message() == "field 'hour' (col 5): 24 is out of range 0-23");
  }
}
