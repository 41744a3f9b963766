// Operator commands reach the running daemon through the database within a second:
// `trigger` starts a manual run, `pause` stops the slots (recorded with their reason),
// `resume` starts them again.
#include "tests/e2e/e2e_support.h"

#include <doctest/doctest.h>

using namespace bsched::e2e;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int submits_of(const SimProcess& sim, const std::string& job) {
  int n = 0;
  for (const auto& s : sim.submits()) n += s.job == job ? 1 : 0;
  return n;
}

}  // namespace

TEST_SUITE("e2e::commands") {
  TEST_CASE("trigger, pause and resume take effect on the running daemon within a second") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms"});
    auto config = write_e2e_config(dir, sim,
                                   e2e_job("yearly", "0 0 1 1 *") + e2e_job("often", "* * * * * *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    INFO("log:\n" << daemon.log());

    auto t0 = now_ms();
    auto trig = cli(dir, "trigger --config '" + config + "' yearly");
    INFO("trigger said: " << trig.out << trig.err);
    REQUIRE(trig.exit_code == 0);
    REQUIRE(wait_until([&] { return submits_of(sim, "yearly") == 1; }, 3s));
    auto took = now_ms() - t0;
    MESSAGE("trigger to submit: " << took << " ms");
    CHECK(took < 1500);  // the command's own process start included

    REQUIRE(cli(dir, "pause --config '" + config + "' often --note e2e").exit_code == 0);
    std::this_thread::sleep_for(1200ms);  // the pause lands within a second
    int before = submits_of(sim, "often");
    std::this_thread::sleep_for(2500ms);
    CHECK(submits_of(sim, "often") == before);
    REQUIRE(cli(dir, "resume --config '" + config + "' often").exit_code == 0);
    REQUIRE(wait_until([&] { return submits_of(sim, "often") > before; }, 3s));

    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);
    auto ledger = read_ledger((dir.path() / "state.db").string());
    bool paused_gap = false;
    for (const auto& g : ledger.gaps) {
      paused_gap |= g.job == "often" && g.reason.find("paused") != std::string::npos;
    }
    CHECK(paused_gap);
  }
}
