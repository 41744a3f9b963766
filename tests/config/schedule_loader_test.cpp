// The loader's use of the engine: schedule errors at their file column, the engine's
// warnings as diagnostics, the job's zone and fold, and Job::next_after.
#include "config/loader.h"
#include "base/time_util.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace bsched;
using namespace bsched::config;

namespace {

const std::string k_head =
    "platform:\n"
    "  account_id: acme-AB12CD\n"
    "  username: BOOMI_TOKEN.ops@acme.example\n"
    "  token_env: BSCHED_TEST_TOKEN\n"
    "jobs:\n";
const std::string k_ids =
    "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
    "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n";

auto load(const std::string& jobs) {
  return load_config_from_sources({{"main.yaml", k_head + jobs}}, {.read_secret = false});
}

std::string messages(const Result<Loaded, std::vector<Diagnostic>>& r) {
  std::string out;
  for (const auto& d : r ? r->warnings : r.error()) out += d.to_string() + "\n";
  return out;
}

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("a bad schedule is reported at the file column of the offending text") {
    auto r = load_config(BSCHED_SOURCE_DIR "/tests/config/testdata/bad_schedule.yaml",
                         {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    std::string out;
    for (const auto& d : r.error())
      out += fmt::format("{}:{}: {}\n", d.pos.line, d.pos.column, d.message);
    // Line 7 is plain (`30 24` starts at column 15), line 11 double-quoted, line 17 a
    // single-quoted list item.
    CHECK(out ==
          "7:18: jobs.plain.schedule: field 'hour' (col 4): 24 is out of range 0-23\n"
          "11:19: jobs.quoted.schedule: field 'hour' (col 4): 24 is out of range 0-23\n"
          "17:18: jobs.listed.schedule[1]: field 'day-of-week' (col 9): 'FOO' is not a day of "
          "the week (0-7 or SUN-SAT)\n");
  }

  TEST_CASE("the engine's warnings become warnings of the schedule's position") {
    auto r = load("  j:\n    schedule: \"0 0 */2 * FRI\"\n" + k_ids);
    REQUIRE(r.has_value());
    CHECK(messages(r) ==
          "main.yaml:7:15: warning: jobs.j.schedule: day-of-month '*/2' and day-of-week 'FRI' "
          "are combined with AND because '*/2' starts with '*' (Vixie cron rule); without the "
          "'*' they would be combined with OR\n");
  }

  TEST_CASE("a never-firing schedule is a validation error") {
    auto r = load("  j:\n    schedule: 0 0 30 2 *\n" + k_ids);
    REQUIRE_FALSE(r.has_value());
    CHECK(messages(r) ==
          "main.yaml:7:19: jobs.j.schedule: field 'day-of-month' (col 5): the expression never "
          "fires: no day matches day-of-month '30' in month '2'\n");
  }

  TEST_CASE("a job's next slot is the earliest of its schedules, in its zone") {
    auto r = load("  j:\n    schedule: ['0 3 * * *', '30 2 * * *', '@every 1d+5h']\n"
                  "    timezone: Europe/Berlin\n" +
                  k_ids);
    REQUIRE(r.has_value());
    const auto& job = r->config->jobs.at(0);
    REQUIRE(job.schedules.size() == 3);
    // 02:30 on the spring-forward day does not exist in Berlin: 03:30 CEST.
    auto t = job.next_after(*parse_instant("2026-03-28T23:00:00Z"));
    REQUIRE(t.has_value());
    CHECK(format_utc(*t) == "2026-03-29T01:00:00Z");  // 03:00 CEST, before the shifted 02:30
    t = job.next_after(*t);
    CHECK(format_utc(*t) == "2026-03-29T01:30:00Z");
    t = job.next_after(*t);
    CHECK(format_utc(*t) == "2026-03-29T05:00:00Z");  // @every is absolute
  }

  TEST_CASE("dst_fold both fires a fixed-hour slot in both passes") {
    auto r = load("  j:\n    schedule: '30 1 * * *'\n    timezone: America/New_York\n"
                  "    dst_fold: both\n" +
                  k_ids);
    REQUIRE(r.has_value());
    const auto& job = r->config->jobs.at(0);
    auto first = job.next_after(*parse_instant("2026-11-01T00:00:00Z"));
    auto second = job.next_after(*first);
    CHECK(format_utc(*first) == "2026-11-01T05:30:00Z");
    CHECK(format_utc(*second) == "2026-11-01T06:30:00Z");
  }

  TEST_CASE("the job name seeds H, so two jobs spread apart") {
    auto r = load("  a:\n    schedule: 'H H * * *'\n    timezone: UTC\n" + k_ids +
                  "  b:\n    schedule: 'H H * * *'\n    timezone: UTC\n" + k_ids);
    REQUIRE(r.has_value());
    const auto& jobs = r->config->jobs;
    auto from = *parse_instant("2026-01-01T00:00:00Z");
    auto direct_a = Schedule::parse("H H * * *", "a");
    auto direct_b = Schedule::parse("H H * * *", "b");
    CHECK(jobs.at(0).next_after(from) == direct_a->next_after(from));
    CHECK(jobs.at(1).next_after(from) == direct_b->next_after(from));
    CHECK(jobs.at(0).next_after(from) != jobs.at(1).next_after(from));
  }

  TEST_CASE("jobs with the same expression share one parse but keep their own zone and fold") {
    auto r = load(
        "  a:\n    schedule: '30 1 * * *'\n    timezone: America/New_York\n"
        "    dst_fold: both\n" +
        k_ids + "  b:\n    schedule: '30 1 * * *'\n    timezone: America/New_York\n" + k_ids +
        "  c:\n    schedule: '30 1 * * *'\n    timezone: UTC\n" + k_ids);
    REQUIRE(r.has_value());
    const auto& jobs = r->config->jobs;
    auto from = *parse_instant("2026-11-01T05:40:00Z");  // after the first 01:30 of the fold
    CHECK(format_utc(*jobs.at(0).next_after(from)) == "2026-11-01T06:30:00Z");  // both passes
    CHECK(format_utc(*jobs.at(1).next_after(from)) == "2026-11-02T06:30:00Z");  // once
    CHECK(format_utc(*jobs.at(2).next_after(from)) == "2026-11-02T01:30:00Z");  // UTC
  }

  TEST_CASE("the schedule cache keeps one entry per expression and none for H or errors") {
    ScheduleCache cache;
    auto utc = *find_zone("UTC");
    REQUIRE(cache.parse("*/5 * * * *", "a", utc, DstFold::automatic).has_value());
    REQUIRE(cache.parse("*/5 * * * *", "b", utc, DstFold::once).has_value());
    CHECK(cache.shared() == 1);
    auto h_a = cache.parse("H * * * *", "a", utc, DstFold::automatic);
    auto h_b = cache.parse("H * * * *", "b", utc, DstFold::automatic);
    CHECK(cache.shared() == 1);
    auto from = *parse_instant("2026-01-01T00:00:00Z");
    CHECK(h_a->next_after(from) == Schedule::parse("H * * * *", "a")->next_after(from));
    CHECK(h_b->next_after(from) == Schedule::parse("H * * * *", "b")->next_after(from));
    CHECK_FALSE(cache.parse("61 * * * *", "a", utc, DstFold::automatic).has_value());
    CHECK(cache.shared() == 1);
    auto again = cache.parse("*/5 * * * *", "c", utc, DstFold::automatic);
    CHECK(again->text() == "*/5 * * * *");
    CHECK(format_utc(*again->next_after(from)) == "2026-01-01T00:05:00Z");
  }
}
