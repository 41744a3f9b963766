// `boomi-sched next` run as a real process: expressions, jobs of a temporary configuration,
// JSON output and the exit codes of bad input.
#include "tests/support/config_test_util.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <string>

using bsched::test::CommandOutput;
using bsched::test::ConfigTempDir;

namespace {

CommandOutput next(const ConfigTempDir& dir, const std::string& args) {
  return bsched::test::run_command(std::string("'") + BSCHED_BINARY + "' next " + args, dir);
}

// A configuration without any token: `next` must not need it.
std::string write_config(const ConfigTempDir& dir) {
  return dir.write("boomi-sched.yaml",
                   "platform:\n"
                   "  account_id: acme-AB12CD\n"
                   "  username: BOOMI_TOKEN.ops@acme.example\n"
                   "  token_file: /nonexistent/token\n"
                   "jobs:\n"
                   "  nightly:\n"
                   "    schedule: ['30 2 * * *', '0 3 * * *']\n"
                   "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
                   "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n"
                   "    timezone: Europe/Berlin\n");
}

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("next --expr lists local time, zone abbreviation and UTC, one slot a line") {
    ConfigTempDir dir;
    auto r = next(dir, "--expr '30 2 * * *' --tz Europe/Berlin --from 2026-03-28T00:00:00Z "
                       "--count 3");
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "Sat 2026-03-28 02:30:00 CET  2026-03-28T01:30:00Z\n"
          "Sun 2026-03-29 03:30:00 CEST  2026-03-29T01:30:00Z\n"
          "Mon 2026-03-30 02:30:00 CEST  2026-03-30T00:30:00Z\n");
  }

  TEST_CASE("next --json prints an array of utc and local instants") {
    ConfigTempDir dir;
    auto r = next(dir, "--expr '30 2 * * *' --tz Europe/Berlin --from 2026-03-29T00:00:00Z "
                       "--count 2 --json");
    REQUIRE(r.exit_code == 0);
    auto v = boost::json::parse(r.out).as_array();
    REQUIRE(v.size() == 2);
    CHECK(v[0].at("utc").as_string() == "2026-03-29T01:30:00Z");
    CHECK(v[0].at("local").as_string() == "2026-03-29T03:30:00+02:00");
    CHECK(v[0].at("abbrev").as_string() == "CEST");
    CHECK(v[1].at("utc").as_string() == "2026-03-30T00:30:00Z");
  }

  TEST_CASE("next --expr defaults to UTC and --from is inclusive") {
    ConfigTempDir dir;
    auto r = next(dir, "--expr '@hourly' --from 2026-01-01T05:00:00Z --count 2");
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "Thu 2026-01-01 05:00:00 UTC  2026-01-01T05:00:00Z\n"
          "Thu 2026-01-01 06:00:00 UTC  2026-01-01T06:00:00Z\n");
  }

  TEST_CASE("next JOB merges the job's schedules in its zone without reading the token") {
    ConfigTempDir dir;
    auto cfg = write_config(dir);
    auto r = next(dir, "nightly --config '" + cfg + "' --from 2026-03-29T00:00:00+01:00 --count 3");
    CHECK(r.err == "");
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "Sun 2026-03-29 03:00:00 CEST  2026-03-29T01:00:00Z\n"
          "Sun 2026-03-29 03:30:00 CEST  2026-03-29T01:30:00Z\n"
          "Mon 2026-03-30 02:30:00 CEST  2026-03-30T00:30:00Z\n");
  }

  TEST_CASE("next with an unknown job names the jobs there are") {
    ConfigTempDir dir;
    auto cfg = write_config(dir);
    auto r = next(dir, "nightley --config '" + cfg + "'");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "boomi-sched next: no job 'nightley' in " + cfg + " (jobs: nightly)\n");
  }

  TEST_CASE("next with a bad expression or zone prints the precise error and exits 1") {
    ConfigTempDir dir;
    auto r = next(dir, "--expr '30 24 * * *'");
    CHECK(r.exit_code == 1);
    CHECK(r.err ==
          "boomi-sched next: invalid schedule: field 'hour' (col 4): 24 is out of range 0-23\n"
          "  30 24 * * *\n"
          "     ^\n");
    r = next(dir, "--expr '* * * * *' --tz Mars/Olympus");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("unknown time zone 'Mars/Olympus'") != std::string::npos);
  }

  TEST_CASE("next usage errors exit 2") {
    ConfigTempDir dir;
    CHECK(next(dir, "").exit_code == 2);
    CHECK(next(dir, "nightly --expr '* * * * *'").exit_code == 2);
    CHECK(next(dir, "nightly --tz UTC").exit_code == 2);
    CHECK(next(dir, "--expr '@hourly' --count 0").exit_code == 2);
    CHECK(next(dir, "--expr '@hourly' --from yesterday").exit_code == 2);
  }
}
