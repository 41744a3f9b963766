// The daemon as a process: instance lock, clean stop on SIGTERM, fatal start-up conditions,
// systemd notifications (a test-owned NOTIFY_SOCKET), and `run --dev`.
#include "tests/e2e/e2e_support.h"
#include "tests/runtime/notify_socket.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <regex>

using namespace bsched::e2e;
using bsched::test::NotifySocket;

namespace {

// Every message of `socket` that arrives within `window`.
std::vector<std::string> drain(NotifySocket& socket, std::chrono::milliseconds window) {
  std::vector<std::string> out;
  auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (auto m = socket.receive(std::max(left, 1ms))) out.push_back(*m);
  }
  return out;
}

// Waits for a message starting with `prefix`; keeps what it read in `seen`.
bool await_message(NotifySocket& socket, const std::string& prefix, std::vector<std::string>& seen,
                   std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    auto m = socket.receive(100ms);
    if (!m) continue;
    seen.push_back(*m);
    if (m->rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_SUITE("e2e::daemon") {
  TEST_CASE("a second daemon on the same database is refused with the owner's pid") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("tick", "*/2 * * * * *"));
    DaemonProcess first(dir, config, {}, 1);
    REQUIRE(first.wait_ready());
    DaemonProcess second(dir, config, {}, 2);
    CHECK(second.child().exit_code(10s) == 1);
    auto expected = "another boomi-sched daemon (pid " + std::to_string(first.child().pid()) +
                    ") owns " + (dir.path() / "state.db").string();
    INFO("second daemon said: " << second.log());
    CHECK(second.log().find(expected) != std::string::npos);
    CHECK(first.child().running());
    first.child().signal(SIGTERM);
    CHECK(first.child().exit_code(6s) == 0);
  }

  TEST_CASE("SIGTERM with runs in flight stops the daemon cleanly within 5 seconds") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "2s", "--run-duration", "5s"});
    auto config = write_e2e_config(dir, sim,
                                   e2e_job("a", "* * * * * *", "    overlap: allow\n") +
                                       e2e_job("b", "* * * * * *", "    overlap: allow\n"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    REQUIRE(wait_until([&] { return sim.submits().size() >= 4; }, 8s));
    auto t0 = std::chrono::steady_clock::now();
    daemon.child().signal(SIGTERM);
    auto code = daemon.child().exit_code(6s);
    auto took = std::chrono::steady_clock::now() - t0;
    INFO("log:\n" << daemon.log());
    CHECK(code == 0);
    CHECK(took < 5s);
    CHECK(daemon.log().find("daemon.stopped") != std::string::npos);
    // The runs still in flight are kept for the next start, not forgotten.
    auto ledger = read_ledger((dir.path() / "state.db").string());
    CHECK(ledger.non_terminal > 0);
    CHECK(daemon.log().find(bsched::e2e::k_token) == std::string::npos);
  }

  TEST_CASE("a broken configuration and a damaged database stop the start with exit 1") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("x", "0 0 30 2 *"));
    DaemonProcess bad_config(dir, config, {}, 1);
    CHECK(bad_config.child().exit_code(10s) == 1);
    CHECK(bad_config.log().find("jobs.d/jobs.yaml:") != std::string::npos);
    CHECK(bad_config.log().find("Assertion") == std::string::npos);

    config = write_e2e_config(dir, sim, e2e_job("x", "0 0 * * *"));
    dir.write("state.db", std::string(8192, 'x'));  // not a database
    DaemonProcess bad_db(dir, config, {}, 2);
    CHECK(bad_db.child().exit_code(10s) == 1);
    INFO("log:\n" << bad_db.log());
    CHECK(bad_db.log().find("cannot use the state database") != std::string::npos);
    CHECK(bsched::test::read_text(dir.path() / "state.db") == std::string(8192, 'x'));
  }

  TEST_CASE("systemd sees READY, STATUS, RELOADING/READY on SIGHUP, WATCHDOG at its rate, STOPPING") {
    ConfigTempDir dir;
    SimProcess sim(dir);
    auto config = write_e2e_config(dir, sim, e2e_job("tick", "*/2 * * * * *"));
    NotifySocket socket((dir.path() / "notify.sock").string());
    DaemonProcess daemon(dir, config, {{"NOTIFY_SOCKET", socket.path()}, {"WATCHDOG_USEC", "400000"}});
    std::vector<std::string> seen;
    REQUIRE(await_message(socket, "READY=1", seen, 15s));
    CHECK(seen.back().find("\nSTATUS=1 job, ") != std::string::npos);

    // WATCHDOG_USEC=400ms: a ping every 200 ms, so about 10 in 2 s.
    auto window = drain(socket, 2000ms);
    auto pings = std::count(window.begin(), window.end(), std::string("WATCHDOG=1"));
    CHECK(pings >= 7);
    CHECK(pings <= 13);

    daemon.child().signal(SIGHUP);
    std::vector<std::string> reload;
    REQUIRE(await_message(socket, "RELOADING=1", reload, 5s));
    CHECK(std::regex_search(reload.back(), std::regex("^RELOADING=1\nMONOTONIC_USEC=[0-9]+$")));
    REQUIRE(await_message(socket, "READY=1", reload, 5s));

    daemon.child().signal(SIGTERM);
    std::vector<std::string> stop;
    REQUIRE(await_message(socket, "STOPPING=1", stop, 5s));
    CHECK(daemon.child().exit_code(6s) == 0);
    // STATUS= lines appear as runs change (at most about once a second).
    window.insert(window.end(), stop.begin(), stop.end());
    CHECK(std::any_of(window.begin(), window.end(),
                      [](const std::string& m) { return m.find("STATUS=") != std::string::npos; }));
  }

  TEST_CASE("run --dev fires the demo jobs against the built-in simulator and cleans up") {
    ConfigTempDir dir;
    Child dev({"run", "--dev"}, {}, (dir.path() / "dev.out").string(),
              (dir.path() / "dev.err").string());
    REQUIRE(wait_until([&] { return dev.err().find("run.finished") != std::string::npos; }, 15s));
    auto out = dev.out();
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("config: +(\\S+)")));
    std::filesystem::path config = m[1].str();
    CHECK(std::filesystem::exists(config));
    dev.signal(SIGINT);
    CHECK(dev.exit_code(6s) == 0);
    CHECK_FALSE(std::filesystem::exists(config.parent_path()));
  }
}
