// config/boomi-sched.schema.json checked with a real validator (ajv-cli, draft 2020-12):
// the example validates, the printed effective configuration validates, bad files do not,
// and the schema knows exactly the keys the loader knows.
#include "config/loader.h"
#include "config/loader_jobs.h"

#include "tests/support/config_test_util.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

using bsched::test::ConfigTempDir;

namespace {

const std::string k_source = BSCHED_SOURCE_DIR;
const std::string k_schema = k_source + "/config/boomi-sched.schema.json";

// The ajv-cli entry point, or "" (the test then fails with a hint).
std::string ajv_cli() {
  const char* tools = std::getenv("BOOMI_SCHED_TOOLS");
  const char* home = std::getenv("HOME");
  std::string dir = tools && *tools ? tools : std::string(home ? home : "") + "/.cache/boomi-sched-tools";
  auto js = dir + "/node_modules/ajv-cli/dist/index.js";
  if (!std::filesystem::exists(js) || std::system("node --version >/dev/null 2>&1") != 0) return {};
  return js;
}

// Runs ajv on one YAML or JSON data file; true when it reports "valid".
bool schema_accepts(const std::string& data, const ConfigTempDir& dir) {
  auto ajv = ajv_cli();
  REQUIRE_MESSAGE(!ajv.empty(),
                  "node or ajv-cli is missing: run scripts/install-deps.sh --test "
                  "(or set BOOMI_SCHED_TOOLS)");
  auto r = bsched::test::run_command("node '" + ajv + "' validate --spec=draft2020 -s '" +
                                         k_schema + "' -d '" + data + "'",
                                     dir);
  INFO("ajv: " << r.out << r.err);
  REQUIRE((r.out + r.err).find(" is invalid\nerror: ") == std::string::npos);  // the schema itself
  return r.exit_code == 0;
}

}  // namespace

TEST_SUITE("config::schema") {
  TEST_CASE("the example configuration and its jobs.d file validate against the schema") {
    ConfigTempDir dir;
    CHECK(schema_accepts(k_source + "/config/examples/boomi-sched.yaml", dir));
    CHECK(schema_accepts(k_source + "/config/examples/jobs.d/reports.yaml", dir));
  }

  TEST_CASE("the printed effective configuration validates against the schema") {
    ConfigTempDir dir;
    auto loaded = bsched::config::load_config(k_source + "/config/examples/boomi-sched.yaml",
                                              {.read_secret = false});
    REQUIRE(loaded.has_value());
    auto path = dir.write("effective.yaml", bsched::config::dump_config(*loaded->config));
    CHECK(schema_accepts(path, dir));
  }

  TEST_CASE("the schema rejects the bad files the loader rejects") {
    ConfigTempDir dir;
    for (const char* name :
         {"unknown_key", "wrong_type", "bad_duration", "token_both", "token_neither",
          "empty_jobs", "bad_values", "graphql_no_space", "invalid_job_name", "missing_keys",
          "crossfile/jobs.d/20-ops"}) {
      CAPTURE(name);
      CHECK_FALSE(
          schema_accepts(k_source + "/tests/config/testdata/" + name + ".yaml", dir));
    }
  }

  TEST_CASE("the schema describes exactly the job keys the loader accepts") {
    auto json = boost::json::parse(bsched::test::read_text(k_schema));
    std::set<std::string> schema_keys, defaults_keys;
    for (const auto& kv : json.at("$defs").at("job").at("properties").as_object()) {
      schema_keys.insert(std::string(kv.key()));
      CHECK_MESSAGE(kv.value().as_object().contains("description"), kv.key());
    }
    for (const auto& kv :
         json.at("properties").at("defaults").at("properties").as_object())
      defaults_keys.insert(std::string(kv.key()));
    std::set<std::string> loader_keys;
    for (auto k : bsched::config::detail::job_keys()) loader_keys.insert(std::string(k));
    CHECK(schema_keys == loader_keys);
    CHECK(defaults_keys == loader_keys);
  }
}
