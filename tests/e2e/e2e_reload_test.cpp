// Reloading by editing YAML (the daemon watches its files): a job added, changed and
// removed takes effect from the reload on, without back-fill; a broken edit keeps the
// previous schedule running and is reported in the log.
#include "tests/e2e/e2e_support.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <set>

using namespace bsched::e2e;

namespace {

// Replaces jobs.d/jobs.yaml the way editors do: a new file renamed over the old one.
void replace_jobs(const ConfigTempDir& dir, const std::string& jobs) {
  auto tmp = dir.write("jobs.d/.jobs.yaml.swp", "jobs:\n" + jobs);
  REQUIRE(std::rename(tmp.c_str(), (dir.path() / "jobs.d/jobs.yaml").c_str()) == 0);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Slots (ms) of `job` among the submits.
std::set<std::int64_t> slots_of(const std::vector<Submit>& submits, const std::string& job) {
  std::set<std::int64_t> out;
  for (const auto& s : submits) {
    if (s.job == job) out.insert(slot_ms(s));
  }
  return out;
}

}  // namespace

TEST_SUITE("e2e::reload") {
  TEST_CASE("editing the YAML adds, changes and removes jobs, a broken edit keeps the old ones") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms"});
    auto config = write_e2e_config(dir, sim,
                                   e2e_job("keep", "* * * * * *") + e2e_job("gone", "* * * * * *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    std::this_thread::sleep_for(2500ms);

    const auto edit1 = now_ms();
    replace_jobs(dir, e2e_job("keep", "*/3 * * * * *") + e2e_job("added", "* * * * * *"));
    REQUIRE(wait_until([&] { return daemon.log().find("config.reloaded") != std::string::npos; },
                       5s));
    const auto reloaded = now_ms();
    std::this_thread::sleep_for(4000ms);

    const auto edit2 = now_ms();
    dir.write("jobs.d/jobs.yaml", "jobs:\n  added:\n    schedule: \"61 * * * *\"\n");
    REQUIRE(wait_until(
        [&] { return daemon.log().find("config.reload_failed") != std::string::npos; }, 5s));
    std::this_thread::sleep_for(3000ms);
    const auto end = now_ms() - 1000;  // slots up to here have been submitted
    CHECK(daemon.child().running());
    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);

    auto log = daemon.log();
    INFO("log:\n" << log);
    auto submits = sim.submits();
    CHECK(duplicated_slots(submits).empty());
    // Removed: no slot after the reload.
    for (auto s : slots_of(submits, "gone")) CHECK(s <= reloaded);
    // Added: fires from the reload on, never for a slot before the edit (no back-fill).
    auto added = slots_of(submits, "added");
    REQUIRE_FALSE(added.empty());
    CHECK(*added.begin() >= edit1 - 1000);
    // Changed: every 3 s after the reload.
    for (auto s : slots_of(submits, "keep")) {
      if (s > reloaded) CHECK(s % 3000 == 0);
    }
    // The broken edit is reported with its place, and the previous jobs keep firing.
    CHECK(log.find("jobs.d/jobs.yaml:") != std::string::npos);
    CHECK(log.find("action=keep_previous_config") != std::string::npos);
    int added_after_broken = 0;
    for (auto s : added) added_after_broken += (s > edit2 + 500 && s <= end) ? 1 : 0;
    CHECK(added_after_broken >= 1);
  }
}
