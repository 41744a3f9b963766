// Helpers of the contract tests: bodies written to a folder, and validate.mjs run over it.
#pragma once

#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace bsched::test::contract {

inline const std::string k_source = BSCHED_SOURCE_DIR;
inline const std::string k_schemas = k_source + "/tests/contract/platform_schemas.json";
inline const std::string k_validator = k_source + "/tests/contract/validate.mjs";

// Writes `body` to dir/<name>.<ext> byte for byte.
inline void write_body(const std::filesystem::path& dir, const std::string& name,
                       const std::string& body, const std::string& ext = "json") {
  std::ofstream(dir / (name + "." + ext), std::ios::binary) << body;
}

// Runs the validator over `dir`: the exit code and every line it printed. Fails the test
// with a hint when node or ajv is missing.
inline CommandOutput validate(const ConfigTempDir& tmp, const std::filesystem::path& dir) {
  const char* tools = std::getenv("BOOMI_SCHED_TOOLS");
  const char* home = std::getenv("HOME");
  const std::string tools_dir =
      tools && *tools ? tools : std::string(home ? home : "") + "/.cache/boomi-sched-tools";
  const bool have_node = std::system("node --version >/dev/null 2>&1") == 0;
  const bool have_ajv = std::filesystem::exists(tools_dir + "/node_modules/ajv/package.json");
  REQUIRE_MESSAGE((have_node && have_ajv),
                  "the contract test needs node and ajv ("
                      << tools_dir
                      << "/node_modules): run scripts/install-deps.sh --test or set "
                         "BOOMI_SCHED_TOOLS");
  auto r =
      run_command("node '" + k_validator + "' '" + k_schemas + "' '" + dir.string() + "'", tmp);
  INFO("validate.mjs: " << r.out << r.err);
  REQUIRE(r.exit_code != 2);  // a setup error, not a verdict
  return r;
}

inline std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    if (text.compare(at, prefix.size(), prefix) == 0) ++n;
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return n;
}

}  // namespace bsched::test::contract
