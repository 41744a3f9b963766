#include "base/time_util.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace std::chrono;

TEST_SUITE("config::time_util") {
  TEST_CASE("UTC instants round-trip through ISO 8601") {
    auto t = parse_instant("2026-03-29T01:30:00Z");
    REQUIRE(t.has_value());
    CHECK(format_utc(*t) == "2026-03-29T01:30:00Z");
  }

  TEST_CASE("UTC formatting agrees with date::format across days, years and milliseconds") {
    // Instants around the epoch, a leap day, a century and the end of a year, every 7 h 13 s.
    const std::vector<sys_seconds> starts = {sys_days{1969y / December / 31}, sys_days{2000y / February / 28},
                                             sys_days{2024y / February / 29}, sys_days{2099y / December / 31}};
    for (sys_seconds start : starts) {
      for (int i = 0; i < 40; ++i) {
        const sys_seconds t = start + seconds{i * 25213};
        CHECK(format_utc(t) == date::format("%FT%TZ", t));
        const SysMillis ms = SysMillis(t) + milliseconds{(i * 37) % 1000};
        CHECK(format_utc_ms(ms) == date::format("%FT%TZ", ms));
      }
    }
    CHECK(format_utc_ms(SysMillis{milliseconds{1'700'000'000'007}}) == "2023-11-14T22:13:20.007Z");
  }

  TEST_CASE("an explicit offset is subtracted") {
    auto t = parse_instant("2026-03-29T03:30:00+02:00");
    REQUIRE(t.has_value());
    CHECK(format_utc(*t) == "2026-03-29T01:30:00Z");
  }

  TEST_CASE("a local time without offset is read in the given zone") {
    auto berlin = find_zone("Europe/Berlin");
    REQUIRE(berlin.has_value());
    auto t = parse_instant("2026-07-01T12:00:00", *berlin);
    REQUIRE(t.has_value());
    CHECK(format_utc(*t) == "2026-07-01T10:00:00Z");
    CHECK(format_local_iso(*t, *berlin) == "2026-07-01T12:00:00+02:00");
  }

  TEST_CASE("malformed instants are rejected with the text in the message") {
    auto t = parse_instant("2026-13-01T00:00:00Z");
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().message.find("2026-13-01") != std::string::npos);
    CHECK_FALSE(parse_instant("yesterday").has_value());
    CHECK_FALSE(parse_instant("2026-01-01T25:00:00Z").has_value());
  }

  TEST_CASE("unknown zones name the zone") {
    auto z = find_zone("Mars/Olympus");
    REQUIRE_FALSE(z.has_value());
    CHECK(z.error().message.find("Mars/Olympus") != std::string::npos);
  }

  TEST_CASE("durations parse every documented unit and combinations") {
    CHECK(*parse_duration("500ms") == milliseconds{500});
    CHECK(*parse_duration("30s") == seconds{30});
    CHECK(*parse_duration("5m") == minutes{5});
    CHECK(*parse_duration("2h") == hours{2});
    CHECK(*parse_duration("1d") == hours{24});
    CHECK(*parse_duration("1h30m") == minutes{90});
    CHECK_FALSE(parse_duration("").has_value());
    CHECK_FALSE(parse_duration("5").has_value());
    CHECK_FALSE(parse_duration("5w").has_value());
    CHECK_FALSE(parse_duration("-5s").has_value());
  }

  TEST_CASE("durations format as their shortest exact spelling") {
    CHECK(format_duration(milliseconds{90'000}) == "1m30s");
    CHECK(format_duration(milliseconds{1500}) == "1s500ms");
    CHECK(format_duration(milliseconds{0}) == "0s");
  }
}
