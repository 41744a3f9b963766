#include "daemon/core/slot_planner.h"

#include "tests/core/fake_slots.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::core;
using storage::Trigger;
using std::chrono::seconds;
using std::chrono::sys_seconds;

namespace {

sys_seconds at(const char* iso) { return *parse_instant(iso); }
SysMillis ms(const char* iso) { return SysMillis(at(iso)); }

CatchupPolicy policy(config::Catchup mode, Millis window = 1h) { return {mode, window}; }

}  // namespace

TEST_SUITE("core::slot_planner") {
  TEST_CASE("a slot reached on time fires as a schedule slot") {
    test::FakeSlots slots(seconds(60));
    auto now = ms("2026-01-01T10:00:00Z") + Millis(3);
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T09:59:00Z"), now, k_reason_late);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].slot == at("2026-01-01T10:00:00Z"));
    CHECK(plan.fire[0].trigger == Trigger::schedule);
    CHECK(plan.gaps.empty());
    CHECK(plan.last_slot == at("2026-01-01T10:00:00Z"));
  }

  TEST_CASE("nothing is due at or before the horizon") {
    test::FakeSlots slots(seconds(60));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::all), at("2026-01-01T10:00:00Z"),
                               ms("2026-01-01T10:00:00Z") + Millis(900), k_reason_late);
    CHECK(plan.fire.empty());
    CHECK(plan.gaps.empty());
    CHECK(!plan.last_slot);
  }

  TEST_CASE("latest fires only the newest missed slot within the window, the rest is one gap") {
    test::FakeSlots slots(seconds(600));  // every 10 minutes
    // Down from 06:00 to 10:05: slots 06:10 … 10:00 were missed.
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T06:00:00Z"), ms("2026-01-01T10:05:00Z"),
                               k_reason_daemon_down);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].slot == at("2026-01-01T10:00:00Z"));
    CHECK(plan.fire[0].trigger == Trigger::catchup);
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].first == at("2026-01-01T06:10:00Z"));
    CHECK(plan.gaps[0].last == at("2026-01-01T09:50:00Z"));
    CHECK(plan.gaps[0].count == 23);
    CHECK(plan.gaps[0].reason == "daemon down");
    CHECK(plan.gaps[0].kind == storage::RunState::missed);
    CHECK(plan.missed_count == 23);
  }

  TEST_CASE("all fires every missed slot within the window and records the older ones") {
    test::FakeSlots slots(seconds(600));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::all, 30min),
                               at("2026-01-01T09:00:00Z"), ms("2026-01-01T10:05:00Z"),
                               k_reason_clock_step);
    // 09:10 … 09:30 are older than 30 minutes; 09:40, 09:50, 10:00 fire.
    REQUIRE(plan.fire.size() == 3);
    CHECK(plan.fire[0].slot == at("2026-01-01T09:40:00Z"));
    CHECK(plan.fire[2].slot == at("2026-01-01T10:00:00Z"));
    for (auto& f : plan.fire) CHECK(f.trigger == Trigger::catchup);
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 3);
    CHECK(plan.gaps[0].reason == "clock step");
  }

  TEST_CASE("none records every late slot as missed and still fires the on-time one") {
    test::FakeSlots slots(seconds(600));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::none),
                               at("2026-01-01T09:00:00Z"), ms("2026-01-01T10:00:01Z"),
                               k_reason_daemon_down);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].trigger == Trigger::schedule);
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 5);
    CHECK(plan.gaps[0].last == at("2026-01-01T09:50:00Z"));
  }

  TEST_CASE("latest fires no catch-up when an on-time slot is due as well") {
    test::FakeSlots slots(seconds(60));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T09:55:00Z"), ms("2026-01-01T10:00:00Z"),
                               k_reason_late);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].slot == at("2026-01-01T10:00:00Z"));
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 4);
  }

  TEST_CASE("a missed slot older than the window never fires") {
    test::FakeSlots slots({at("2026-01-01T08:00:00Z")});
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T07:00:00Z"), ms("2026-01-01T09:00:01Z"),
                               k_reason_daemon_down);
    CHECK(plan.fire.empty());
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].first == at("2026-01-01T08:00:00Z"));
    CHECK(plan.gaps[0].count == 1);
  }

  TEST_CASE("a slot exactly catchup_window old still fires") {
    test::FakeSlots slots({at("2026-01-01T08:00:00Z")});
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T07:00:00Z"), ms("2026-01-01T09:00:00Z"),
                               k_reason_daemon_down);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].trigger == Trigger::catchup);
  }

  TEST_CASE("a month of missed per-second slots is one gap row") {
    test::FakeSlots slots(seconds(1));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest, 0ms),
                               at("2026-01-01T00:00:00Z"), ms("2026-01-31T00:00:00Z") + 10s,
                               k_reason_daemon_down);
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 30 * 86400 + 5);
    REQUIRE(plan.fire.size() == 5);  // the last five seconds are within the on-time grace
    // After downtime they collapse: one run, the rest missed.
    auto restart = plan_due_slots(slots, "j", policy(config::Catchup::latest, 0ms),
                                  at("2026-01-01T00:00:00Z"), ms("2026-01-31T00:00:00Z") + 10s,
                                  k_reason_daemon_down, SlotPass::catch_up);
    CHECK(restart.fire.size() == 1);
    CHECK(restart.missed_count == 30 * 86400 + 9);
  }

  TEST_CASE("after a restart catchup latest fires one run for the slots missed, however young") {
    // A */2 s job down for 5 s: 3 slots under the on-time grace, one run (the newest).
    test::FakeSlots slots(seconds(2));
    auto plan = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T10:00:00Z"), ms("2026-01-01T10:00:06Z") + 907ms,
                               k_reason_daemon_down, SlotPass::catch_up);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].slot == at("2026-01-01T10:00:06Z"));
    CHECK(plan.fire[0].trigger == Trigger::schedule);
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 2);
    CHECK(plan.gaps[0].reason == "daemon down");
    // catchup none: the newest on-time slot only; all: every slot.
    auto none = plan_due_slots(slots, "j", policy(config::Catchup::none),
                               at("2026-01-01T10:00:00Z"), ms("2026-01-01T10:00:06Z") + 907ms,
                               k_reason_daemon_down, SlotPass::catch_up);
    CHECK(none.fire.size() == 1);
    auto all = plan_due_slots(slots, "j", policy(config::Catchup::all),
                              at("2026-01-01T10:00:00Z"), ms("2026-01-01T10:00:06Z") + 907ms,
                              k_reason_daemon_down, SlotPass::catch_up);
    CHECK(all.fire.size() == 3);
    // A catch-up pass whose newest slot is late fires it as catch-up, within the window.
    auto late = plan_due_slots(slots, "j", policy(config::Catchup::latest),
                               at("2026-01-01T10:00:00Z"), ms("2026-01-01T10:00:20Z") + 907ms,
                               k_reason_daemon_down, SlotPass::catch_up);
    REQUIRE(late.fire.size() == 1);
    CHECK(late.fire[0].trigger == Trigger::schedule);  // 10:00:20 is on time
    CHECK(late.missed_count == 9);
  }

  TEST_CASE("slots missed while down before a pause keep the reason daemon down") {
    test::FakeSlots slots(seconds(600));
    auto plan = plan_paused(slots, "j", at("2026-01-01T09:00:00Z"), ms("2026-01-01T10:00:00Z"),
                            ms("2026-01-01T09:35:00Z"), k_reason_daemon_down);
    CHECK(plan.fire.empty());
    REQUIRE(plan.gaps.size() == 2);
    CHECK(plan.gaps[0].reason == "daemon down");
    CHECK(plan.gaps[0].count == 3);  // 09:10, 09:20, 09:30
    CHECK(plan.gaps[1].reason == "paused");
    CHECK(plan.gaps[1].count == 3);  // 09:40, 09:50, 10:00
    CHECK(plan.missed_count == 6);
  }

  TEST_CASE("a paused job's due slots become one missed gap with reason paused") {
    test::FakeSlots slots(seconds(600));
    auto plan = plan_paused(slots, "j", at("2026-01-01T09:00:00Z"), ms("2026-01-01T10:00:00Z"),
                            std::nullopt, k_reason_late);
    CHECK(plan.fire.empty());
    REQUIRE(plan.gaps.size() == 1);
    CHECK(plan.gaps[0].count == 6);
    CHECK(plan.gaps[0].reason == "paused");
    CHECK(plan.last_slot == at("2026-01-01T10:00:00Z"));
  }
}
