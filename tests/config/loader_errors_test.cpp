// One bad file per class of configuration error (tests/config/testdata/), each asserting the
// exact file:line:col and message of every diagnostic.
#include "config/loader.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <vector>

using namespace bsched::config;

namespace {

const std::string k_testdata = BSCHED_SOURCE_DIR "/tests/config/testdata/";

// Every diagnostic of loading testdata/`name`, one per line, paths relative to testdata/.
std::string diagnostics_of(const std::string& name) {
  auto r = load_config(k_testdata + name, {.read_secret = false});
  if (r) return "(loaded without errors)";
  std::string out;
  for (const auto& d : r.error()) {
    auto line = d.to_string();
    if (line.starts_with(k_testdata)) line.erase(0, k_testdata.size());
    for (auto p = line.find(k_testdata); p != std::string::npos; p = line.find(k_testdata))
      line.erase(p, k_testdata.size());
    out += line + "\n";
  }
  return out;
}

}  // namespace

TEST_SUITE("config::loader") {
  TEST_CASE("a YAML syntax error is reported at the parser's position") {
    CHECK(diagnostics_of("syntax_error.yaml") ==
          "syntax_error.yaml:8:5: YAML syntax error: end of sequence flow not found\n");
  }

  TEST_CASE("unknown keys are errors with a suggestion for near misses") {
    CHECK(diagnostics_of("unknown_key.yaml") ==
          "unknown_key.yaml:5:3: platform: unknown key 'colour' (valid keys: account_id, "
          "base_url, username, token_file, token_env, requests_per_second, timeout, ca_file, "
          "api, space_guid, graphql_url, jwt_url)\n"
          "unknown_key.yaml:7:3: jobs.nightly: missing required key 'schedule'\n"
          "unknown_key.yaml:8:5: jobs.nightly: unknown key 'schedul'; did you mean "
          "'schedule'?\n"
          "unknown_key.yaml:11:25: jobs.nightly.poll: unknown key 'maximum' (valid keys: "
          "initial, max)\n"
          "unknown_key.yaml:12:1: unknown top-level key 'platfrom'; did you mean 'platform'?\n");
  }

  TEST_CASE("values of the wrong type are reported at the value") {
    CHECK(diagnostics_of("wrong_type.yaml") ==
          "wrong_type.yaml:10:14: jobs.nightly.enabled: expected true or false, not 'maybe'\n"
          "wrong_type.yaml:11:11: jobs.nightly.poll: expected a map of 'key: value' entries, "
          "not '5s'\n"
          "wrong_type.yaml:12:25: jobs.nightly.process_properties: expected a list of "
          "{component_id, values} items, not a map\n"
          "wrong_type.yaml:13:30: jobs.nightly.submit_retry.attempts: expected a whole number "
          "from 1 to 100, not 'many'\n");
  }

  TEST_CASE("bad durations name the text and the accepted forms") {
    const char* forms = "(use forms like 500ms, 30s, 5m, 2h, 1d or 1h30m)";
    CHECK(diagnostics_of("bad_duration.yaml") ==
          fmt::format("bad_duration.yaml:5:12: platform.timeout: '30' is not a duration: a unit "
                      "is missing {0}\n"
                      "bad_duration.yaml:7:19: defaults.catchup_window: '5 minutes' is not a "
                      "duration: a unit is missing {0}\n"
                      "bad_duration.yaml:13:21: jobs.nightly.record_timeout: '10x' is not a "
                      "duration: unknown unit 'x' {0}\n"
                      "bad_duration.yaml:14:18: jobs.nightly.run_timeout: must be at least 1ms\n",
                      forms));
  }

  TEST_CASE("unknown time zones are errors with a suggestion") {
    CHECK(diagnostics_of("unknown_zone.yaml") ==
          "unknown_zone.yaml:6:13: defaults.timezone: unknown time zone 'Europe/Berln' "
          "(expected an IANA name such as Europe/Berlin or America/New_York); did you mean "
          "'Europe/Berlin'?\n"
          "unknown_zone.yaml:12:15: jobs.nightly.timezone: unknown time zone "
          "'Mars/Olympus_Mons' (expected an IANA name such as Europe/Berlin or "
          "America/New_York)\n");
  }

  TEST_CASE("a job defined twice in one file is an error naming the first") {
    CHECK(diagnostics_of("duplicate_job.yaml") ==
          "duplicate_job.yaml:14:3: jobs: duplicate job name 'nightly' (first defined at "
          "duplicate_job.yaml:6:3)\n");
  }

  TEST_CASE("a key given twice in one map is an error, not silently dropped") {
    CHECK(diagnostics_of("duplicate_key.yaml") ==
          "duplicate_key.yaml:10:5: jobs.nightly.schedule: duplicate key (first at line 7, "
          "column 5); YAML would silently keep only one\n");
  }

  TEST_CASE("job names outside [A-Za-z0-9._-]{1,64} are errors") {
    CHECK(diagnostics_of("invalid_job_name.yaml") ==
          "invalid_job_name.yaml:6:3: jobs: invalid job name 'nightly orders!' (use 1 to 64 "
          "of A-Z a-z 0-9 . _ -)\n"
          "invalid_job_name.yaml:10:3: jobs: invalid job name "
          "'a-name-that-is-much-too-long-for-a-job-because-it-has-more-than-64-characters' "
          "(use 1 to 64 of A-Z a-z 0-9 . _ -)\n");
  }

  TEST_CASE("missing required keys are reported at their section") {
    CHECK(diagnostics_of("missing_keys.yaml") ==
          "missing_keys.yaml:1:1: platform: missing required key 'username'\n"
          "missing_keys.yaml:5:3: jobs.nightly: missing required key 'atom_id'\n");
    CHECK(diagnostics_of("missing_platform.yaml") ==
          "missing_platform.yaml:1:1: missing required section 'platform'\n");
  }

  TEST_CASE("token_file and token_env together, or neither, are errors") {
    CHECK(diagnostics_of("token_both.yaml") ==
          "token_both.yaml:4:3: platform: set either token_file or token_env, not both\n");
    CHECK(diagnostics_of("token_neither.yaml") ==
          "token_neither.yaml:1:1: platform: missing token_file or token_env (where the API "
          "token is read from; the token itself never goes into this file)\n");
  }

  TEST_CASE("unknown placeholders are errors at their column") {
    const char* known =
        "(known: ${job}, ${run_id}, ${scheduled_time}, ${scheduled_local}, "
        "${last_success_time})";
    CHECK(diagnostics_of("unknown_placeholder.yaml") ==
          fmt::format("unknown_placeholder.yaml:12:16: jobs.nightly.dynamic_properties.TO_DATE: "
                      "unknown placeholder '${{scheduled_tim}}'; did you mean "
                      "'${{scheduled_time}}'? {0}\n"
                      "unknown_placeholder.yaml:13:21: jobs.nightly.dynamic_properties.NOTE: "
                      "unknown placeholder '${{job_name}}' {0}\n"
                      "unknown_placeholder.yaml:16:44: "
                      "jobs.nightly.process_properties[0].values.since: unknown placeholder "
                      "'${{last_success}}' {0}\n",
                      known));
  }

  TEST_CASE("an empty jobs map, or no jobs at all, is an error") {
    CHECK(diagnostics_of("empty_jobs.yaml") ==
          "empty_jobs.yaml:5:1: jobs: is empty; define at least one job or remove the key\n");
    CHECK(diagnostics_of("no_jobs.yaml") ==
          "no_jobs.yaml:1:1: no jobs defined (add a 'jobs' section here or files in jobs.d/)\n");
  }

  TEST_CASE("bad choices, URLs, limits and policies are reported with suggestions") {
    CHECK(diagnostics_of("bad_values.yaml") ==
          "bad_values.yaml:5:13: platform.base_url: 'api.boomi.com/api/rest/v1' is not an "
          "http:// or https:// URL\n"
          "bad_values.yaml:6:8: platform.api: 'graphq' is not one of rest, graphql; did you "
          "mean 'graphql'?\n"
          "bad_values.yaml:7:24: platform.requests_per_second: expected a number from 0 to "
          "1000000, not '-1'\n"
          "bad_values.yaml:9:12: defaults.overlap: 'skipp' is not one of skip, allow, queue; "
          "did you mean 'skip'?\n"
          "bad_values.yaml:10:12: defaults.catchup: 'sometimes' is not one of latest, all, "
          "none\n"
          "bad_values.yaml:11:13: defaults.dst_fold: 'twice' is not one of auto, once, both\n"
          "bad_values.yaml:12:9: defaults.poll: initial (2m) is longer than max (1m)\n"
          "bad_values.yaml:13:17: defaults.submit_retry: initial (10m) is longer than max "
          "(5m)\n"
          "bad_values.yaml:13:28: defaults.submit_retry.attempts: expected a whole number from "
          "1 to 100, not '0'\n"
          "bad_values.yaml:17:17: warning: jobs.nightly.process_id: 'not-a-uuid' is not a UUID "
          "(Boomi ids look like 6e79aead-40d4-4a35-9037-4370a86cc2f1); the platform will "
          "likely reject it\n"
          "bad_values.yaml:20:25: jobs.nightly.dynamic_properties: 'RUN' is reserved for the "
          "run id; rename the property or set run_id_property\n");
  }

  TEST_CASE("api graphql without a space guid is an error") {
    CHECK(diagnostics_of("graphql_no_space.yaml") ==
          "graphql_no_space.yaml:5:3: platform: api graphql needs space_guid\n");
  }

  TEST_CASE("duplicate jobs across files name the first definition") {
    CHECK(diagnostics_of("crossfile/boomi-sched.yaml") ==
          "crossfile/jobs.d/10-sales.yaml:6:3: jobs: duplicate job name 'nightly' (first "
          "defined at crossfile/boomi-sched.yaml:6:3)\n"
          "crossfile/jobs.d/20-ops.yaml:1:1: 'defaults' belongs in the main file "
          "crossfile/boomi-sched.yaml; a jobs.d file holds only 'jobs'\n"
          "crossfile/jobs.d/20-ops.yaml:4:3: jobs: duplicate job name 'sales' (first defined "
          "at crossfile/jobs.d/10-sales.yaml:2:3)\n"
          "crossfile/jobs.d/ignored.yml: warning: ignored: only *.yaml files in jobs.d are "
          "read\n");
  }

  TEST_CASE("a missing main file is a clear error naming it") {
    auto r = load_config("/nonexistent/boomi-sched.yaml");
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() ==
          "/nonexistent/boomi-sched.yaml: cannot read the configuration file: No such file or "
          "directory (give --config PATH or set BOOMI_SCHED_CONFIG)");
  }

  TEST_CASE("an empty main file is an error") {
    auto r = load_config_from_sources({{"main.yaml", "# nothing yet\n"}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() ==
          "main.yaml:1:1: the configuration file is empty (expected the sections platform, "
          "storage, defaults and jobs)");
  }

  // Found by fuzz_config: a Latin-1 byte in a property name loaded, but was printed (and would
  // have been sent) as U+FFFD, so `validate --print` no longer round-tripped.
  TEST_CASE("a byte that is not UTF-8 is an error at its line and column") {
    std::string text =
        "platform:\n  account_id: a\n  username: u\n  token_env: T\n"
        "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n    atom_id: a\n"
        "    dynamic_properties:\n      T\xA4RIGGERED_BY: x\n";
    auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() ==
          "main.yaml:11:8: byte 0xA4 is not valid UTF-8; save the file as UTF-8");
  }

  TEST_CASE("well-formed UTF-8 in values and a byte order mark load") {
    std::string text =
        "\xEF\xBB\xBFplatform:\n  account_id: a\n  username: u\n  token_env: T\n"
        "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n    atom_id: a\n"
        "    dynamic_properties:\n      CITY: \"Z\xC3\xBCrich \xE2\x82\xAC \xF0\x9F\x98\x80\"\n";
    auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    REQUIRE(r.has_value());
    CHECK(r->config->jobs.at(0).settings->dynamic_properties.at(0).second ==
          "Z\xC3\xBCrich \xE2\x82\xAC \xF0\x9F\x98\x80");
  }

  TEST_CASE("a byte order mark moves no position of a message") {
    std::string text =
        "platform:\n  account_id: a\n  username: u\n  token_env: T\n"
        "jobs:\n  j:\n    schedule: \"0 * * * 9\"\n    process_id: p\n    atom_id: a\n";
    auto plain = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    auto marked =
        load_config_from_sources({{"main.yaml", "\xEF\xBB\xBF" + text}}, {.read_secret = false});
    REQUIRE_FALSE(plain.has_value());
    REQUIRE_FALSE(marked.has_value());
    auto messages = [](const std::vector<Diagnostic>& ds) {
      std::string out;
      for (const auto& d : ds) out += d.to_string() + "\n";
      return out;
    };
    CHECK(messages(plain.error()).find("main.yaml:7:24: jobs.j.schedule: field 'day-of-week'") !=
          std::string::npos);  // at the 9
    CHECK(messages(marked.error()) == messages(plain.error()));
  }

  TEST_CASE("a file over 64 MiB is refused before it is parsed") {
    std::string text(std::size_t{64} << 20, '#');
    text += "\n";
    auto r = load_config_from_sources({{"main.yaml", text}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].to_string() ==
          "main.yaml: the file is 64.0 MiB; a configuration file may hold at most 64 MiB (10,000 "
          "jobs take about 1.5 MiB)");
  }

  TEST_CASE("overlong forms and surrogates are not UTF-8") {
    for (std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
      auto r = load_config_from_sources({{"main.yaml", "platform: " + bad + "\n"}},
                                        {.read_secret = false});
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error()[0].to_string().starts_with("main.yaml:1:11: byte 0x"));
    }
  }
}
