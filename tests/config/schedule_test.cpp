// Golden tables of the schedule engine in UTC: the syntax, the macros, @every, month ends,
// leap years and year rollover. Weekdays of 2026 used below: Jan 1 is a Thursday, Feb 1 and
// Mar 1 are Sundays.
#include "tests/config/schedule_test_util.h"

#include <doctest/doctest.h>

#include <vector>

using bsched::test::instant;
using bsched::test::next_slots;

namespace {

struct Golden {
  const char* expr;
  const char* from;
  const char* expected;  // the next three slots
};

void check_table(const std::vector<Golden>& table) {
  for (const auto& g : table) {
    INFO("expression: ", g.expr, "  from: ", g.from);
    CHECK(next_slots(g.expr, g.from, 3) == g.expected);
  }
}

constexpr const char* k_jan1 = "2026-01-01T00:00:00Z";

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("stars, ranges, steps and lists select the documented values") {
    check_table({
        {"*/15 * * * *", k_jan1,
         "2026-01-01T00:15:00Z 2026-01-01T00:30:00Z 2026-01-01T00:45:00Z"},
        {"0 9-17/4 * * *", k_jan1,
         "2026-01-01T09:00:00Z 2026-01-01T13:00:00Z 2026-01-01T17:00:00Z"},
        {"5/20 * * * *", k_jan1,
         "2026-01-01T00:05:00Z 2026-01-01T00:25:00Z 2026-01-01T00:45:00Z"},
        {"10,20-21 8 * * *", k_jan1,
         "2026-01-01T08:10:00Z 2026-01-01T08:20:00Z 2026-01-01T08:21:00Z"},
        {"0 0 1 */4 *", k_jan1,
         "2026-05-01T00:00:00Z 2026-09-01T00:00:00Z 2027-01-01T00:00:00Z"},
        {"* * * * *", "2026-01-01T00:00:30Z",
         "2026-01-01T00:01:00Z 2026-01-01T00:02:00Z 2026-01-01T00:03:00Z"},
        {"0 0 31 * *", k_jan1,
         "2026-01-31T00:00:00Z 2026-03-31T00:00:00Z 2026-05-31T00:00:00Z"},
    });
  }

  TEST_CASE("six fields put the seconds first") {
    check_table({
        {"*/20 * * * * *", k_jan1,
         "2026-01-01T00:00:20Z 2026-01-01T00:00:40Z 2026-01-01T00:01:00Z"},
        {"30 0 0 * * *", k_jan1,
         "2026-01-01T00:00:30Z 2026-01-02T00:00:30Z 2026-01-03T00:00:30Z"},
        {"15,45 59 23 31 12 *", "2026-12-31T23:59:15Z",
         "2026-12-31T23:59:45Z 2027-12-31T23:59:15Z 2027-12-31T23:59:45Z"},
    });
  }

  TEST_CASE("month and weekday names work in any case, and 0 and 7 are both Sunday") {
    check_table({
        {"0 0 * * MON-FRI", k_jan1,
         "2026-01-02T00:00:00Z 2026-01-05T00:00:00Z 2026-01-06T00:00:00Z"},
        {"0 0 * * 7", k_jan1, "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z 2026-01-18T00:00:00Z"},
        {"0 0 * * 0", k_jan1, "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z 2026-01-18T00:00:00Z"},
        {"0 0 * * sun", k_jan1,
         "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z 2026-01-18T00:00:00Z"},
        {"0 0 * * 5-7", k_jan1, "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
        {"0 0 * * Fri-Sun", k_jan1,
         "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
        {"0 12 1 jan,Jul *", k_jan1,
         "2026-01-01T12:00:00Z 2026-07-01T12:00:00Z 2027-01-01T12:00:00Z"},
        {"0 0 1 MAR-may/2 *", k_jan1,
         "2026-03-01T00:00:00Z 2026-05-01T00:00:00Z 2027-03-01T00:00:00Z"},
        {"0 0 ? * 1", k_jan1, "2026-01-05T00:00:00Z 2026-01-12T00:00:00Z 2026-01-19T00:00:00Z"},
        {"0 0 1,15 * ?", k_jan1,
         "2026-01-15T00:00:00Z 2026-02-01T00:00:00Z 2026-02-15T00:00:00Z"},
    });
  }

  TEST_CASE("macros expand to their cron equivalents") {
    check_table({
        {"@hourly", k_jan1, "2026-01-01T01:00:00Z 2026-01-01T02:00:00Z 2026-01-01T03:00:00Z"},
        {"@daily", k_jan1, "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
        {"@midnight", k_jan1, "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
        {"@weekly", k_jan1, "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z 2026-01-18T00:00:00Z"},
        {"@monthly", k_jan1, "2026-02-01T00:00:00Z 2026-03-01T00:00:00Z 2026-04-01T00:00:00Z"},
        {"@yearly", k_jan1, "2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z"},
        {"@annually", k_jan1, "2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z"},
        {"@DAILY", k_jan1, "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
    });
  }

  TEST_CASE("@every is aligned to the Unix epoch plus the optional offset") {
    check_table({
        {"@every 15m", "2026-01-01T00:07:00Z",
         "2026-01-01T00:15:00Z 2026-01-01T00:30:00Z 2026-01-01T00:45:00Z"},
        {"@every 1h+15m", k_jan1, "2026-01-01T00:15:00Z 2026-01-01T01:15:00Z 2026-01-01T02:15:00Z"},
        {"@every 1d", "2026-01-01T12:00:00Z",
         "2026-01-02T00:00:00Z 2026-01-03T00:00:00Z 2026-01-04T00:00:00Z"},
    });
    // An interval that does not divide a day: the slots are the multiples of 7 minutes
    // since 1970-01-01T00:00:00Z, whatever the query instant.
    auto s = bsched::config::Schedule::parse("@every 7m");
    REQUIRE(s.has_value());
    CHECK(s->is_interval());
    auto t = instant("2026-01-01T00:00:01Z");
    auto next = s->next_after(t);
    REQUIRE(next.has_value());
    CHECK(next->time_since_epoch().count() % 420 == 0);
    CHECK(*next > t);
    CHECK(*next - t <= std::chrono::seconds{420});
  }

  TEST_CASE("@every is zone-independent") {
    auto ny = bsched::test::zone_named("America/New_York");
    auto s = bsched::config::Schedule::parse("@every 1h", "job", ny);
    REQUIRE(s.has_value());
    // Across the fall-back fold: every hour of absolute time, no repeat, no skip.
    auto t = instant("2026-11-01T04:00:00Z");
    for (int i = 1; i <= 4; ++i) {
      auto next = s->next_after(t);
      REQUIRE(next.has_value());
      CHECK(*next - t == std::chrono::hours{1});
      t = *next;
    }
  }

  TEST_CASE("the 29th of February fires only in leap years") {
    check_table({
        {"0 0 29 2 *", k_jan1, "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z 2036-02-29T00:00:00Z"},
        // 2100 is not a leap year.
        {"0 0 29 2 *", "2096-03-01T00:00:00Z",
         "2104-02-29T00:00:00Z 2108-02-29T00:00:00Z 2112-02-29T00:00:00Z"},
        {"0 0 L 2 *", "2027-06-01T00:00:00Z",
         "2028-02-29T00:00:00Z 2029-02-28T00:00:00Z 2030-02-28T00:00:00Z"},
    });
  }

  TEST_CASE("slots roll over months and years") {
    check_table({
        {"59 23 31 12 *", "2026-12-31T23:59:00Z",
         "2027-12-31T23:59:00Z 2028-12-31T23:59:00Z 2029-12-31T23:59:00Z"},
        {"0 0 1 1 *", "2026-12-31T23:59:59Z",
         "2027-01-01T00:00:00Z 2028-01-01T00:00:00Z 2029-01-01T00:00:00Z"},
        {"*/30 * * * *", "2026-12-31T23:45:00Z",
         "2027-01-01T00:00:00Z 2027-01-01T00:30:00Z 2027-01-01T01:00:00Z"},
        {"0 0 30 * *", "2026-01-30T00:00:00Z",
         "2026-03-30T00:00:00Z 2026-04-30T00:00:00Z 2026-05-30T00:00:00Z"},
    });
  }

  TEST_CASE("next_after is strictly after the instant given") {
    check_table({
        {"0 * * * *", "2026-01-01T05:00:00Z",
         "2026-01-01T06:00:00Z 2026-01-01T07:00:00Z 2026-01-01T08:00:00Z"},
        {"0 * * * *", "2026-01-01T04:59:59Z",
         "2026-01-01T05:00:00Z 2026-01-01T06:00:00Z 2026-01-01T07:00:00Z"},
    });
  }

  TEST_CASE("there is no slot after the year 9999") {
    CHECK(next_slots("0 0 1 1 *", "9998-06-01T00:00:00Z", 2) == "9999-01-01T00:00:00Z (none)");
  }

  TEST_CASE("for_each_in visits every slot of the interval in order and can stop early") {
    auto s = bsched::config::Schedule::parse("*/10 * * * *");
    REQUIRE(s.has_value());
    std::vector<std::string> seen;
    s->for_each_in(instant("2026-01-01T00:00:00Z"), instant("2026-01-01T00:40:00Z"),
                   [&](std::chrono::sys_seconds t) {
                     seen.push_back(bsched::format_utc(t));
                     return true;
                   });
    CHECK(seen == std::vector<std::string>{"2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z",
                                           "2026-01-01T00:20:00Z", "2026-01-01T00:30:00Z"});
    int calls = 0;
    s->for_each_in(instant("2026-01-01T00:00:00Z"), instant("2026-01-02T00:00:00Z"),
                   [&](std::chrono::sys_seconds) { return ++calls < 2; });
    CHECK(calls == 2);
  }

  TEST_CASE("a per-second schedule over 30 days yields every second exactly once") {
    auto s = bsched::config::Schedule::parse("* * * * * *");
    REQUIRE(s.has_value());
    auto from = instant("2026-01-01T00:00:00Z");
    long long count = 0;
    auto expected = from;
    bool in_order = true;
    s->for_each_in(from, from + std::chrono::days{30}, [&](std::chrono::sys_seconds t) {
      in_order = in_order && t == expected;
      expected = t + std::chrono::seconds{1};
      ++count;
      return true;
    });
    CHECK(in_order);
    CHECK(count == 30LL * 86400);
  }

  TEST_CASE("the text, zone and interval flag are kept") {
    auto s = bsched::config::Schedule::parse("0 3 * * *");
    REQUIRE(s.has_value());
    CHECK(s->text() == "0 3 * * *");
    CHECK(s->zone() == nullptr);
    CHECK_FALSE(s->is_interval());
  }
}
