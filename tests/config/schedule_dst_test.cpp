// Zones and DST (RFC 5545 resolution). 2026 transitions used here:
//   America/New_York  Mar 8 02:00 EST -> 03:00 EDT; Nov 1 02:00 EDT -> 01:00 EST
//   Europe/Berlin     Mar 29 02:00 CET -> 03:00 CEST; Oct 25 03:00 CEST -> 02:00 CET
//   Australia/Lord_Howe  Apr 5 02:00 +11 -> 01:30 +10:30; Oct 4 02:00 +10:30 -> 02:30 +11
//   America/Santiago  Apr 5 00:00 -03 -> Apr 4 23:00 -04; Sep 6 00:00 -04 -> 01:00 -03
//   Asia/Kolkata      +05:30 all year
#include "tests/config/schedule_test_util.h"

#include <doctest/doctest.h>

using bsched::config::DstFold;
using bsched::test::next_slots;

TEST_SUITE("config::schedule") {
  TEST_CASE("a slot in a spring-forward gap fires once, shifted by the gap's length") {
    CHECK(next_slots("30 2 * * *", "2026-03-07T12:00:00Z", 2, "America/New_York") ==
          "2026-03-08T03:30:00-04:00 2026-03-09T02:30:00-04:00");
    CHECK(next_slots("30 2 * * *", "2026-03-28T12:00:00Z", 2, "Europe/Berlin") ==
          "2026-03-29T03:30:00+02:00 2026-03-30T02:30:00+02:00");
    CHECK(next_slots("0 2 * * *", "2026-03-28T12:00:00Z", 1, "Europe/Berlin") ==
          "2026-03-29T03:00:00+02:00");
  }

  TEST_CASE("gap slots that land on a real slot fire only once") {
    CHECK(next_slots("*/30 * * * *", "2026-03-08T06:00:00Z", 4, "America/New_York") ==
          "2026-03-08T01:30:00-05:00 2026-03-08T03:00:00-04:00 2026-03-08T03:30:00-04:00 "
          "2026-03-08T04:00:00-04:00");
  }

  TEST_CASE("a fixed-hour slot in a DST fold fires once, at the first occurrence") {
    CHECK(next_slots("30 1 * * *", "2026-10-31T12:00:00Z", 2, "America/New_York") ==
          "2026-11-01T01:30:00-04:00 2026-11-02T01:30:00-05:00");
    CHECK(next_slots("30 2 * * *", "2026-10-24T12:00:00Z", 2, "Europe/Berlin") ==
          "2026-10-25T02:30:00+02:00 2026-10-26T02:30:00+01:00");
    // Asked between the two occurrences: the second is not a slot.
    CHECK(next_slots("30 1 * * *", "2026-11-01T05:45:00Z", 1, "America/New_York") ==
          "2026-11-02T01:30:00-05:00");
  }

  TEST_CASE("an hourly slot in a DST fold fires in both passes") {
    CHECK(next_slots("30 * * * *", "2026-11-01T04:00:00Z", 4, "America/New_York") ==
          "2026-11-01T00:30:00-04:00 2026-11-01T01:30:00-04:00 2026-11-01T01:30:00-05:00 "
          "2026-11-01T02:30:00-05:00");
    // Asked between the two occurrences: the second pass still fires.
    CHECK(next_slots("30 * * * *", "2026-11-01T05:45:00Z", 1, "America/New_York") ==
          "2026-11-01T01:30:00-05:00");
  }

  TEST_CASE("dst_fold once and both override the automatic rule") {
    CHECK(next_slots("30 * * * *", "2026-11-01T04:00:00Z", 3, "America/New_York", "job",
                     DstFold::once) ==
          "2026-11-01T00:30:00-04:00 2026-11-01T01:30:00-04:00 2026-11-01T02:30:00-05:00");
    CHECK(next_slots("30 1 * * *", "2026-10-31T12:00:00Z", 3, "America/New_York", "job",
                     DstFold::both) ==
          "2026-11-01T01:30:00-04:00 2026-11-01T01:30:00-05:00 2026-11-02T01:30:00-05:00");
  }

  TEST_CASE("Lord Howe's half-hour shifts resolve like whole hours") {
    // Gap: 02:15 does not exist on Oct 4 and fires 30 minutes later.
    CHECK(next_slots("15 2 * * *", "2026-10-03T12:00:00Z", 2, "Australia/Lord_Howe") ==
          "2026-10-04T02:45:00+11:00 2026-10-05T02:15:00+11:00");
    // Fold: 01:30-02:00 happens twice on Apr 5.
    CHECK(next_slots("45 1 * * *", "2026-04-04T00:00:00Z", 2, "Australia/Lord_Howe") ==
          "2026-04-05T01:45:00+11:00 2026-04-06T01:45:00+10:30");
    CHECK(next_slots("*/15 * * * *", "2026-04-04T14:00:00Z", 6, "Australia/Lord_Howe") ==
          "2026-04-05T01:15:00+11:00 2026-04-05T01:30:00+11:00 2026-04-05T01:45:00+11:00 "
          "2026-04-05T01:30:00+10:30 2026-04-05T01:45:00+10:30 2026-04-05T02:00:00+10:30");
  }

  TEST_CASE("Santiago's midnight gap and fold keep daily slots on their day") {
    CHECK(next_slots("0 0 * * *", "2026-09-05T12:00:00Z", 2, "America/Santiago") ==
          "2026-09-06T01:00:00-03:00 2026-09-07T00:00:00-03:00");
    CHECK(next_slots("30 0 * * *", "2026-09-05T12:00:00Z", 1, "America/Santiago") ==
          "2026-09-06T01:30:00-03:00");
    CHECK(next_slots("30 23 * * *", "2026-04-04T12:00:00Z", 2, "America/Santiago") ==
          "2026-04-04T23:30:00-03:00 2026-04-05T23:30:00-04:00");
    // Every 20 minutes through the fold: both passes of 23:00-23:59 on Apr 4.
    CHECK(next_slots("*/20 * * * *", "2026-04-05T02:30:00Z", 4, "America/Santiago") ==
          "2026-04-04T23:40:00-03:00 2026-04-04T23:00:00-04:00 2026-04-04T23:20:00-04:00 "
          "2026-04-04T23:40:00-04:00");
  }

  TEST_CASE("a zone without DST just shifts every slot by its offset") {
    CHECK(next_slots("0 9 * * *", "2026-01-01T00:00:00Z", 2, "Asia/Kolkata") ==
          "2026-01-01T09:00:00+05:30 2026-01-02T09:00:00+05:30");
    CHECK(next_slots("0 0 L * *", "2026-01-31T00:00:00Z", 1, "Asia/Kolkata") ==
          "2026-02-28T00:00:00+05:30");
  }

  TEST_CASE("for_each_in over a whole DST day matches repeated next_after") {
    auto ny = bsched::test::zone_named("America/New_York");
    for (const char* expr : {"*/7 * * * *", "30 1 * * *", "0 * * * *", "*/10 2 * * *"}) {
      INFO("expression: ", expr);
      auto s = bsched::config::Schedule::parse(expr, "job", ny);
      REQUIRE(s.has_value());
      for (const char* day : {"2026-03-08T00:00:00Z", "2026-11-01T00:00:00Z"}) {
        auto from = bsched::test::instant(day), to = from + std::chrono::hours{30};
        std::vector<std::chrono::sys_seconds> walked, stepped;
        s->for_each_in(from, to, [&](std::chrono::sys_seconds t) {
          walked.push_back(t);
          return true;
        });
        for (auto t = s->next_after(from - std::chrono::seconds{1}); t && *t < to;
             t = s->next_after(*t))
          stepped.push_back(*t);
        CHECK(walked == stepped);
        CHECK_FALSE(walked.empty());
      }
    }
  }
}
