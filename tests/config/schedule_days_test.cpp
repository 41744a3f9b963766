// The day fields: the Vixie day-of-month/day-of-week rule, its warnings, L, L-n, nW, LW,
// dL, d#k, and the H hash. Weekdays of 2026: Jan 1 Thursday, Feb 1 and Mar 1 Sundays,
// Apr 1 Wednesday, May 1 Friday, Aug 1 Saturday.
#include "config/cron_spec.h"
#include "tests/config/schedule_test_util.h"

#include <doctest/doctest.h>

#include <string>

using bsched::test::next_slots;
using bsched::config::Schedule;

namespace {

constexpr const char* k_jan1 = "2026-01-01T00:00:00Z";

std::string warnings_of(const char* expr) {
  auto s = Schedule::parse(expr, "job");
  REQUIRE(s.has_value());
  std::string out;
  for (const auto& w : s->warnings()) out += w + "\n";
  return out;
}

// FNV-1a 64 written out independently of the engine, as docs/schedule.md states it.
std::uint64_t fnv1a(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("two restricted day fields match a day when either matches") {
    // Fridays (Jan 2, 9) or the 13th (a Tuesday).
    CHECK(next_slots("0 0 13 * FRI", k_jan1, 3) ==
          "2026-01-02T00:00:00Z 2026-01-09T00:00:00Z 2026-01-13T00:00:00Z");
    CHECK(next_slots("0 0 1,15 * MON", k_jan1, 3) ==
          "2026-01-05T00:00:00Z 2026-01-12T00:00:00Z 2026-01-15T00:00:00Z");
  }

  TEST_CASE("a day field starting with '*' makes the two day fields AND-ed") {
    // Odd days that are Fridays: Jan 9, Jan 23, Feb 13.
    CHECK(next_slots("0 0 */2 * FRI", k_jan1, 3) ==
          "2026-01-09T00:00:00Z 2026-01-23T00:00:00Z 2026-02-13T00:00:00Z");
    // Days 1-7 that are Sun, Tue, Thu or Sat.
    CHECK(next_slots("0 0 1-7 * */2", k_jan1, 3) ==
          "2026-01-03T00:00:00Z 2026-01-04T00:00:00Z 2026-01-06T00:00:00Z");
    CHECK(next_slots("0 0 * * FRI", k_jan1, 2) == "2026-01-02T00:00:00Z 2026-01-09T00:00:00Z");
    CHECK(next_slots("0 0 13 * ?", k_jan1, 2) == "2026-01-13T00:00:00Z 2026-02-13T00:00:00Z");
  }

  TEST_CASE("the day-field rule draws a warning when both fields are restricted") {
    CHECK(warnings_of("0 0 */2 * FRI") ==
          "day-of-month '*/2' and day-of-week 'FRI' are combined with AND because '*/2' "
          "starts with '*' (Vixie cron rule); without the '*' they would be combined with OR\n");
    CHECK(warnings_of("0 0 13 * FRI") ==
          "day-of-month '13' and day-of-week 'FRI' are both restricted, so a day matches if "
          "EITHER matches (Vixie cron rule), not both\n");
    CHECK(warnings_of("0 0 1-7 * */2") ==
          "day-of-month '1-7' and day-of-week '*/2' are combined with AND because '*/2' "
          "starts with '*' (Vixie cron rule); without the '*' they would be combined with OR\n");
    CHECK(warnings_of("0 0 13 * *").empty());
    CHECK(warnings_of("0 0 * * FRI").empty());
    CHECK(warnings_of("0 0 ? * FRI").empty());
    CHECK(warnings_of("@weekly").empty());
  }

  TEST_CASE("L and L-n count back from the month's last day") {
    CHECK(next_slots("0 0 L * *", k_jan1, 3) ==
          "2026-01-31T00:00:00Z 2026-02-28T00:00:00Z 2026-03-31T00:00:00Z");
    CHECK(next_slots("0 0 L-2 * *", k_jan1, 3) ==
          "2026-01-29T00:00:00Z 2026-02-26T00:00:00Z 2026-03-29T00:00:00Z");
    CHECK(next_slots("0 0 1,L * *", "2026-01-02T00:00:00Z", 3) ==
          "2026-01-31T00:00:00Z 2026-02-01T00:00:00Z 2026-02-28T00:00:00Z");
  }

  TEST_CASE("nW and LW move to the nearest weekday without leaving the month") {
    // Feb 15 and Mar 15 are Sundays: the Monday after.
    CHECK(next_slots("0 0 15W * *", k_jan1, 3) ==
          "2026-01-15T00:00:00Z 2026-02-16T00:00:00Z 2026-03-16T00:00:00Z");
    // Aug 1 is a Saturday: not Friday Jul 31 but Monday Aug 3.
    CHECK(next_slots("0 0 1W 8 *", k_jan1, 1) == "2026-08-03T00:00:00Z");
    // May 31 is a Sunday: not Monday Jun 1 but Friday May 29.
    CHECK(next_slots("0 0 31W 5 *", k_jan1, 1) == "2026-05-29T00:00:00Z");
    // Jan 31 and Feb 28 are Saturdays, Mar 31 a Tuesday.
    CHECK(next_slots("0 0 LW * *", k_jan1, 3) ==
          "2026-01-30T00:00:00Z 2026-02-27T00:00:00Z 2026-03-31T00:00:00Z");
  }

  TEST_CASE("dL is the last and d#k the k-th given weekday of the month") {
    CHECK(next_slots("0 0 * * 5L", k_jan1, 3) ==
          "2026-01-30T00:00:00Z 2026-02-27T00:00:00Z 2026-03-27T00:00:00Z");
    CHECK(next_slots("0 0 * * FRIL", k_jan1, 1) == "2026-01-30T00:00:00Z");
    CHECK(next_slots("0 0 * * 1#2", k_jan1, 3) ==
          "2026-01-12T00:00:00Z 2026-02-09T00:00:00Z 2026-03-09T00:00:00Z");
    CHECK(next_slots("0 0 * * mon#1", k_jan1, 3) ==
          "2026-01-05T00:00:00Z 2026-02-02T00:00:00Z 2026-03-02T00:00:00Z");
    CHECK(next_slots("0 0 * * 7#1,6L", k_jan1, 3) ==
          "2026-01-04T00:00:00Z 2026-01-31T00:00:00Z 2026-02-01T00:00:00Z");
    // The 5th Thursday exists in January 2026 (1, 8, 15, 22, 29), not in February.
    CHECK(next_slots("0 0 * * 4#5", k_jan1, 2) ==
          "2026-01-29T00:00:00Z 2026-04-30T00:00:00Z");
  }

  TEST_CASE("H picks a value from the FNV-1a hash of the seed and the field number") {
    auto h = [](const char* seed, int field) {
      return fnv1a(std::string(seed) + static_cast<char>(field));
    };
    CHECK(bsched::config::cron_hash("nightly", bsched::config::CronField::hour) ==
          h("nightly", 2));
    auto minute = static_cast<int>(h("nightly", 1) % 60);
    auto hour = static_cast<int>(h("nightly", 2) % 24);
    auto s = Schedule::parse("H H * * *", "nightly");
    REQUIRE(s.has_value());
    auto t = s->next_after(bsched::test::instant(k_jan1));
    REQUIRE(t.has_value());
    auto secs = t->time_since_epoch().count() % 86400;
    CHECK(secs == hour * 3600 + minute * 60);
  }

  TEST_CASE("H(a-b) stays in its range and H/n steps from a hashed offset") {
    for (const char* seed : {"a", "b", "nightly-orders", "hourly-sync", ""}) {
      INFO("seed: ", seed);
      auto ranged = Schedule::parse("H(10-14) 3 * * *", seed);
      REQUIRE(ranged.has_value());
      auto t = ranged->next_after(bsched::test::instant(k_jan1));
      REQUIRE(t.has_value());
      auto minute = t->time_since_epoch().count() / 60 % 60;
      CHECK(minute == 10 + static_cast<long long>(fnv1a(std::string(seed) + '\1') % 5));

      auto stepped = Schedule::parse("H/15 * * * *", seed);
      REQUIRE(stepped.has_value());
      auto first = stepped->next_after(bsched::test::instant(k_jan1));
      auto second = stepped->next_after(*first);
      CHECK(*second - *first == std::chrono::minutes{15});
      CHECK(first->time_since_epoch().count() / 60 % 15 ==
            static_cast<long long>(fnv1a(std::string(seed) + '\1') % 15));
    }
  }

  TEST_CASE("H in day-of-month stays within 1-28 so that it exists every month") {
    for (const char* seed : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
      auto s = Schedule::parse("0 0 H * *", seed);
      REQUIRE(s.has_value());
      auto expected = 1 + static_cast<unsigned>(fnv1a(std::string(seed) + '\3') % 28);
      auto t = s->next_after(bsched::test::instant("2026-02-28T00:00:00Z"));
      REQUIRE(t.has_value());
      date::year_month_day ymd{date::floor<date::days>(*t)};
      CHECK(static_cast<unsigned>(ymd.day()) == expected);
      CHECK(static_cast<unsigned>(ymd.month()) == 3);
    }
  }
}
