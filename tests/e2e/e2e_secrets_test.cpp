// The running daemon and its secrets: no core, the token_env token gone from its environment
// (and still there for a reload), one daemon per database file whatever path reaches it.
#include "tests/e2e/e2e_support.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

using namespace bsched::e2e;

namespace {

// The soft and hard "Max core file size" of /proc/PID/limits, e.g. "0 0".
std::string core_limits(pid_t pid) {
  auto limits = bsched::test::read_text("/proc/" + std::to_string(pid) + "/limits");
  static const std::regex k_line{R"(Max core file size\s+(\S+)\s+(\S+))"};
  std::smatch m;
  if (!std::regex_search(limits, m, k_line)) return "(no line)";
  return m[1].str() + " " + m[2].str();
}

}  // namespace

TEST_SUITE("e2e::secrets") {
  // The token stayed readable in /proc/PID/environ, and a crash could dump it into a core.
  TEST_CASE("the running daemon holds no token_env token in its environment and allows no core") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("tick", "0 0 1 1 *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    auto pid = daemon.child().pid();
    auto environ_text = bsched::test::read_text("/proc/" + std::to_string(pid) + "/environ");
    CHECK(environ_text.find(k_token_env) != std::string::npos);  // the name, emptied
    CHECK(environ_text.find(k_token) == std::string::npos);
    CHECK(core_limits(pid) == "0 0");
    // A reload still has the token although the variable is gone.
    dir.write("jobs.d/jobs.yaml", "jobs:\n" + e2e_job("tock", "0 0 1 1 *"));
    daemon.child().signal(SIGHUP);
    CHECK(wait_until([&] { return daemon.log().find("config.reloaded") != std::string::npos; },
                     10s));
    CHECK(daemon.log().find("config.reload_failed") == std::string::npos);
    CHECK(daemon.log().find(k_token) == std::string::npos);
    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);
  }

  // A second daemon reached the same database through a symlink and ran beside the first.
  TEST_CASE("a second daemon reaching the database through a symlinked directory is refused") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("tick", "0 0 1 1 *"));
    DaemonProcess first(dir, config, {}, 1);
    REQUIRE(first.wait_ready());
    std::filesystem::create_directory_symlink(dir.path(), dir.path() / "alias");
    auto text = bsched::test::read_text(config);
    auto db = (dir.path() / "state.db").string();
    text.replace(text.find(db), db.size(), (dir.path() / "alias" / "state.db").string());
    auto other = dir.write("other/boomi-sched.yaml", text);
    dir.write("other/jobs.d/jobs.yaml", bsched::test::read_text(dir.path() / "jobs.d/jobs.yaml"));
    DaemonProcess second(dir, other, {}, 2);
    CHECK(second.child().exit_code(10s) == 1);
    INFO("second daemon said: " << second.log());
    CHECK(second.log().find("another boomi-sched daemon (pid " +
                            std::to_string(first.child().pid()) + ")") != std::string::npos);
    first.child().signal(SIGTERM);
    CHECK(first.child().exit_code(6s) == 0);
  }
}
