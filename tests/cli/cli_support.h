// Helpers of the command-line tests: the real binary (BSCHED_BINARY) run against a temporary
// configuration and database, with `status --json` read back. Header-only and light (no
// simulator): tests that need the simulator or a daemon add tests/e2e/e2e_support.h.
#pragma once

#include "tests/support/config_test_util.h"

#include "storage/sqlite_run_store.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <cstdio>
#include <functional>
#include <string>

namespace bsched::clitest {

using test::ConfigTempDir;
namespace test = bsched::test;

// The token variable of the test configurations (the same one tests/e2e uses).
inline constexpr const char* k_cli_token_env = "BSCHED_E2E_TOKEN";
inline constexpr const char* k_cli_token = "e2e-token-never-logged";

// `boomi-sched ARGS` with the token variable set, output captured.
inline test::CommandOutput bin(const ConfigTempDir& dir, const std::string& args) {
  return test::run_command("env " + std::string(k_cli_token_env) + "=" + k_cli_token + " '" +
                               BSCHED_BINARY + "' " + args,
                           dir);
}

// `boomi-sched ARGS --config CONFIG`.
inline test::CommandOutput run_cli(const ConfigTempDir& dir, const std::string& config,
                                   const std::string& args) {
  return bin(dir, args + " --config '" + config + "'");
}

// `status --json` parsed; fails the test when it does not print one JSON object.
inline boost::json::object status_json(const ConfigTempDir& dir, const std::string& config) {
  auto r = run_cli(dir, config, "status --json");
  INFO("status --json: " << r.exit_code << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  REQUIRE(!ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

// The job named `name` in a `status --json` answer.
inline boost::json::object job_of(const boost::json::object& status, const std::string& name) {
  for (const auto& j : status.at("jobs").as_array()) {
    if (j.as_object().at("job").as_string() == name) return j.as_object();
  }
  FAIL("no job " << name << " in status");
  return {};
}

// One job of a test configuration, with its own process id.
inline std::string cli_job(const std::string& name, const std::string& schedule,
                           const std::string& extra = "") {
  char pid[64];
  std::snprintf(pid, sizeof pid, "6e79aead-40d4-4a35-9037-%012llx",
                static_cast<unsigned long long>(std::hash<std::string>{}(name) & 0xffffffffffffULL));
  return "  " + name + ":\n    schedule: \"" + schedule + "\"\n" + "    process_id: " + pid +
         "\n    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n" + extra;
}

// A configuration whose platform is never called (loopback port 9), for commands that read
// the configuration and the database only; `jobs` go to jobs.d/jobs.yaml.
inline std::string write_offline_config(const ConfigTempDir& dir, const std::string& jobs,
                                        const std::string& defaults = "  timezone: UTC\n") {
  dir.write("jobs.d/jobs.yaml", "jobs:\n" + jobs);
  return dir.write("boomi-sched.yaml",
                   "platform:\n  account_id: sim-account\n"
                   "  base_url: http://127.0.0.1:9/api/rest/v1\n"
                   "  username: BOOMI_TOKEN.sim@example.com\n  token_env: " +
                       std::string(k_cli_token_env) + "\nstorage:\n  path: " +
                       (dir.path() / "state.db").string() + "\ndefaults:\n" + defaults);
}

}  // namespace bsched::clitest
