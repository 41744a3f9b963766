// Crash safety: the daemon is killed with SIGKILL at random moments and restarted. No slot
// is ever started twice at the platform, nothing is left in flight at the end, and the slots
// that passed while it was down are in the ledger with a reason.
#include "tests/e2e/e2e_support.h"

#include <doctest/doctest.h>

#include <random>
#include <set>

using namespace bsched::e2e;

namespace {

// `job_count` jobs on `schedule`, the daemon killed `kills` times at random moments.
void crash_and_restart(int job_count, const std::string& schedule, int kills) {
  const auto seed = static_cast<unsigned>(std::random_device{}());
  MESSAGE("crash test: " << kills << " kills, seed " << seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> up_ms(300, 2500), down_ms(0, 2000);

  ConfigTempDir dir;
  SimProcess sim(dir, {"--pickup-delay", "300ms", "--run-duration", "700ms"});
  std::string jobs;
  for (int i = 0; i < job_count; ++i) jobs += e2e_job("c" + std::to_string(i), schedule);
  // overlap: allow, so that slots passed while down are missed (not skipped behind a run
  // that was in flight when the daemon died). record_timeout: 5s, so that a run killed
  // between its `submitting` commit and its request (never resent: it may have been accepted)
  // ends `unknown` within the last life's wait instead of reconciling for the default 30 min.
  auto config = write_e2e_config(dir, sim, jobs,
                                 "  catchup_window: 1s\n  overlap: allow\n  record_timeout: 5s\n");
  int resumed_scheduled = 0;  // lives that began by resuming runs not yet sent
  for (int k = 0; k < kills; ++k) {
    DaemonProcess daemon(dir, config, {}, k);
    INFO("life " << k << " log:\n" << daemon.log());
    REQUIRE(daemon.wait_ready());
    if (daemon.log().find("state=scheduled action=submit") != std::string::npos) ++resumed_scheduled;
    std::this_thread::sleep_for(std::chrono::milliseconds(up_ms(rng)));
    daemon.child().kill_and_reap();
    std::this_thread::sleep_for(std::chrono::milliseconds(down_ms(rng)));
  }
  // One downtime longer than a slot's deadline (at least 5 s) plus the schedule's period
  // (2 s at most here), so that at least one slot is sure to pass its deadline while down.
  std::this_thread::sleep_for(8s);
  // The last life: stop firing (every job disabled), let the runs in flight finish.
  DaemonProcess last(dir, config, {}, kills);
  REQUIRE(last.wait_ready());
  std::string disabled;
  for (int i = 0; i < job_count; ++i) {
    disabled += e2e_job("c" + std::to_string(i), schedule, "    enabled: false\n");
  }
  dir.write("jobs.d/jobs.yaml", "jobs:\n" + disabled);
  last.child().signal(SIGHUP);
  auto db = (dir.path() / "state.db").string();
  bool settled = wait_until([&] { return read_ledger(db).non_terminal == 0; }, 20s);
  INFO("last log:\n" << last.log());
  CHECK(settled);
  last.child().signal(SIGTERM);
  CHECK(last.child().exit_code(6s) == 0);

  auto submits = sim.submits();
  auto dups = duplicated_slots(submits);
  INFO("duplicated: " << (dups.empty() ? std::string("none") : dups.front()));
  CHECK(dups.empty());
  auto ledger = read_ledger(db);
  CHECK(ledger.non_terminal == 0);
  // One run per (job, slot) in the ledger as well.
  std::set<std::string> slots;
  for (const auto& r : ledger.runs) {
    if (r.trigger == bsched::storage::Trigger::manual) continue;
    CHECK(slots.insert(r.job + "@" + bsched::format_utc(r.slot)).second);
  }
  // The downtime left missed slots behind, each range with its reason.
  std::int64_t missed = 0;
  for (const auto& g : ledger.gaps) {
    CHECK_FALSE(g.reason.empty());
    if (g.kind == bsched::storage::RunState::missed) missed += g.count;
  }
  for (const auto& r : ledger.runs) {  // rows written before a kill, past their deadline after
    if (r.state != bsched::storage::RunState::missed) continue;
    CHECK_FALSE(r.last_error.empty());
    ++missed;
  }
  MESSAGE("crash test: " << ledger.runs.size() << " runs, " << missed << " missed slots, "
                         << submits.size() << " submits, " << resumed_scheduled
                         << " lives resumed scheduled runs");
  CHECK(missed > 0);
  CHECK(ledger.runs.size() >= static_cast<std::size_t>(job_count));
}

// The row of `job`'s first run, once it exists.
// The job's first run (the lowest id: history lists the newest first, and the next slot of a
// short schedule may have made a second run before the test looks).
std::optional<bsched::storage::RunRow> first_run(const std::string& db, const std::string& job) {
  std::optional<bsched::storage::RunRow> first;
  for (const auto& r : read_ledger(db).runs) {
    if (r.job == job && (!first || r.id < first->id)) first = r;
  }
  return first;
}

}  // namespace

TEST_SUITE("e2e::crash") {
  // Send, kill before the answer is stored, restart, kill during the reconcile, restart:
  // against a platform whose record appears seconds after the trigger, the slot is sent once.
  TEST_CASE("a trigger that may have been accepted is never sent again after a second crash") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "4s", "--run-duration", "300ms", "--fault-slow", "1",
                         "--slow", "20s", "--faults-only-submits"});
    auto config = write_e2e_config(dir, sim, e2e_job("crash-07", "*/5 * * * * *"),
                                   "  overlap: skip\n  catchup: none\n");
    auto db = (dir.path() / "state.db").string();
    {
      DaemonProcess life1(dir, config, {}, 1);
      REQUIRE(life1.wait_ready());
      REQUIRE(wait_until([&] { return !sim.submits().empty(); }, 10s));
      life1.child().kill_and_reap();  // the answer (20 s late) was never read
    }
    REQUIRE(sim.submits().size() == 1);
    {
      DaemonProcess life2(dir, config, {}, 2);
      REQUIRE(life2.wait_ready());
      INFO("life 2 log:\n" << life2.log());
      CHECK(life2.log().find("action=reconcile") != std::string::npos);
      // Killed once its reconcile found nothing and stored when to look again.
      REQUIRE(wait_until([&] {
        auto r = first_run(db, "crash-07");
        return r && r->next_action_at.has_value();
      }, 5s));
      life2.child().kill_and_reap();
    }
    auto mid = first_run(db, "crash-07");
    REQUIRE(mid.has_value());
    CHECK(mid->state == bsched::storage::RunState::submitting);
    CHECK(mid->maybe_accepted);
    DaemonProcess life3(dir, config, {}, 3);
    REQUIRE(life3.wait_ready());
    bool done = wait_until([&] {
      auto r = first_run(db, "crash-07");
      return r && bsched::storage::is_terminal(r->state);
    }, 15s);
    INFO("life 3 log:\n" << life3.log());
    CHECK(done);
    CHECK(life3.log().find("action=submit") == std::string::npos);
    life3.child().signal(SIGTERM);
    CHECK(life3.child().exit_code(6s) == 0);
    auto dups = duplicated_slots(sim.submits());
    INFO("duplicated: " << (dups.empty() ? std::string("none") : dups.front()));
    CHECK(dups.empty());
    auto last = first_run(db, "crash-07");
    REQUIRE(last.has_value());
    CHECK(last->state == bsched::storage::RunState::complete);
    CHECK(last->matched_by == "query");
  }

  TEST_CASE("SIGKILL at random moments never duplicates a slot or loses a run") {
    crash_and_restart(5, "* * * * * *", long_variant() ? 30 : 4);
  }

  // 80 jobs on one slot: every slot is a burst of two batches (64, then 16), so the kills also
  // fall between a batch's commit and its sends, and between a burst's batches.
  TEST_CASE("SIGKILL around large bursts never duplicates a slot or loses a run") {
    crash_and_restart(80, "*/2 * * * * *", long_variant() ? 30 : 5);
  }
}
