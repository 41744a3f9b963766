// The systemd unit, checked with systemd's own analyzers: `systemd-analyze verify` (syntax,
// executables, man page) and `systemd-analyze security --offline=true` (exposure score).
#include "tests/systemd/systemd_test_support.h"

#include <doctest/doctest.h>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

using namespace bsched::systemd_test;

namespace {

// The unit as `cmake --install` would generate it, but with ExecStart pointing at the binary
// in this build tree (verify insists the executable exists) and the man page from the source
// tree made visible through MANPATH. Returns the unit's path inside `dir`.
fs::path generate_build_unit(const fs::path& dir) {
  std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
  unit = replace_all(unit, "@BSCHED_UNIT_BINDIR@", build_dir().string());
  unit = replace_all(unit, "@BSCHED_UNIT_DOCDIR@", (source_dir() / "docs").string());
  const fs::path path = dir / "boomi-sched.service";
  write_text(path, unit);
  fs::create_directories(dir / "man/man1");
  fs::copy_file(source_dir() / "docs/boomi-sched.1", dir / "man/man1/boomi-sched.1");
  return path;
}

// "→ Overall exposure level for boomi-sched.service: 1.1 OK 🙂" → 1.1; -1 when absent.
double overall_exposure(const std::string& report) {
  static const std::regex k_line{R"(Overall exposure level for [^:]+: ([0-9]+\.[0-9]+))"};
  std::smatch match;
  if (!std::regex_search(report, match, k_line)) return -1.0;
  return std::stod(match[1].str());
}

// Every line of `unit` that starts with `key=`, in order.
std::vector<std::string> settings(const std::string& unit, const std::string& key) {
  std::vector<std::string> values;
  std::istringstream lines(unit);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(key + "=", 0) == 0) values.push_back(line.substr(key.size() + 1));
  }
  return values;
}

}  // namespace

TEST_SUITE("systemd::unit") {
  TEST_CASE("the unit passes systemd-analyze verify, man page included") {
    require_tool("systemd-analyze", "systemd");
    require_tool("man", "man-db");
    TempDir dir("unit-verify");
    REQUIRE_FALSE(dir.path().empty());
    const fs::path unit = generate_build_unit(dir.path());
    const auto result = run_command("cd " + shell_quote(dir.path().string()) +
                                    " && MANPATH=" + shell_quote((dir.path() / "man").string()) +
                                    " systemd-analyze verify ./boomi-sched.service");
    INFO("systemd-analyze verify said:\n" << result.output);
    CHECK(result.exit_code == 0);
    // verify reports problems of the unit as "boomi-sched.service: ..." lines.
    CHECK(result.output.find("boomi-sched.service:") == std::string::npos);
  }

  TEST_CASE("the unit's exposure level is 2.0 or lower") {
    require_tool("systemd-analyze", "systemd");
    TempDir dir("unit-security");
    REQUIRE_FALSE(dir.path().empty());
    generate_build_unit(dir.path());
    const auto result = run_command("cd " + shell_quote(dir.path().string()) +
                                    " && systemd-analyze security --offline=true --no-pager"
                                    " ./boomi-sched.service");
    INFO("systemd-analyze security said:\n" << result.output);
    const double exposure = overall_exposure(result.output);
    REQUIRE(exposure >= 0.0);
    CHECK(exposure <= 2.0);
  }

  TEST_CASE("a reload validates the configuration before it signals the daemon") {
    const std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
    CHECK(settings(unit, "Type") == std::vector<std::string>{"notify"});
    const auto reload = settings(unit, "ExecReload");
    REQUIRE(reload.size() == 2);
    // systemd runs ExecReload= lines in order and stops at the first failure.
    CHECK(reload[0] == "@BSCHED_UNIT_BINDIR@/boomi-sched validate");
    CHECK(reload[1] == "/bin/kill -HUP $MAINPID");
  }

  // A crash of the daemon could leave a core file holding the API token.
  TEST_CASE("the unit allows no core file") {
    const std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
    CHECK(settings(unit, "LimitCORE") == std::vector<std::string>{"0"});
  }

  // One hostile answer once drove a process to 1 GiB: the unit bounds the daemon's memory.
  TEST_CASE("the unit bounds the daemon's memory") {
    const std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
    CHECK(settings(unit, "MemoryMax") == std::vector<std::string>{"512M"});
  }

  TEST_CASE("the stop timeout leaves room for the daemon's 5 second shutdown") {
    const std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
    CHECK(settings(unit, "TimeoutStopSec") == std::vector<std::string>{"15s"});
    CHECK(settings(unit, "WatchdogSec") == std::vector<std::string>{"30s"});
  }

  TEST_CASE("the example configuration reads the token the unit loads as a credential") {
    const std::string unit = read_text(source_dir() / "systemd/boomi-sched.service.in");
    const auto credentials = settings(unit, "LoadCredential");
    REQUIRE(credentials.size() == 1);
    CHECK(credentials[0] == "boomi-token:/etc/boomi-sched/credentials/boomi-token");
    const std::string example = read_text(source_dir() / "config/examples/boomi-sched.yaml");
    INFO("config/examples/boomi-sched.yaml must set platform.token_file to the credential");
    CHECK(example.find("/run/credentials/boomi-sched.service/boomi-token") != std::string::npos);
  }
}
