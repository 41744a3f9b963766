// The planner over real schedules: DST days, several schedules per job.
#include "daemon/core/job_slots.h"
#include "daemon/core/slot_planner.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::core;
using std::chrono::sys_seconds;

namespace {

sys_seconds at(const char* iso) { return *parse_instant(iso); }

config::Job berlin_job(std::vector<std::string> schedules) {
  config::Job j;
  j.name = "berlin";
  j.edit_settings().zone = *find_zone("Europe/Berlin");
  for (const auto& s : schedules) {
    auto parsed = config::Schedule::parse(s, j.name, j.settings->zone);
    REQUIRE(parsed.has_value());
    j.schedules.push_back(*parsed);
  }
  return j;
}

std::vector<sys_seconds> slots_between(const SlotSource& s, const char* from, const char* to) {
  std::vector<sys_seconds> out;
  s.for_each_in(at(from), at(to), [&](sys_seconds t) {
    out.push_back(t);
    return true;
  });
  return out;
}

}  // namespace

TEST_SUITE("core::slot_planner") {
  TEST_CASE("a slot in the spring-forward gap fires once, shifted, and catches up once") {
    auto job = berlin_job({"30 2 * * *"});
    JobSlots slots(job);
    // 2026-03-29 02:30 Berlin does not exist: it fires at 03:30 CEST = 01:30Z.
    CHECK(slots.next_after(at("2026-03-28T12:00:00Z")) == at("2026-03-29T01:30:00Z"));
    auto plan = plan_due_slots(slots, "berlin", {config::Catchup::latest, std::chrono::hours(1)},
                               at("2026-03-28T12:00:00Z"), SysMillis(at("2026-03-29T01:40:00Z")),
                               k_reason_daemon_down);
    REQUIRE(plan.fire.size() == 1);
    CHECK(plan.fire[0].slot == at("2026-03-29T01:30:00Z"));
    CHECK(plan.fire[0].trigger == storage::Trigger::catchup);
    CHECK(plan.gaps.empty());
  }

  TEST_CASE("an hourly slot in the fall-back fold fires in both passes") {
    auto job = berlin_job({"30 * * * *"});
    JobSlots slots(job);
    // 2026-10-25 02:30 Berlin happens at 00:30Z (CEST) and 01:30Z (CET).
    auto s = slots_between(slots, "2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z");
    REQUIRE(s.size() == 2);
    CHECK(s[0] == at("2026-10-25T00:30:00Z"));
    CHECK(s[1] == at("2026-10-25T01:30:00Z"));
    auto plan = plan_due_slots(slots, "berlin", {config::Catchup::all, std::chrono::hours(2)},
                               at("2026-10-25T00:00:00Z"), SysMillis(at("2026-10-25T01:30:00Z")),
                               k_reason_daemon_down);
    REQUIRE(plan.fire.size() == 2);
    CHECK(plan.fire[1].trigger == storage::Trigger::schedule);
  }

  TEST_CASE("a fixed-hour slot in the fold fires once on the DST day") {
    auto job = berlin_job({"30 2 * * *"});
    JobSlots slots(job);
    auto s = slots_between(slots, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z");
    REQUIRE(s.size() == 1);
    CHECK(s[0] == at("2026-10-25T00:30:00Z"));
  }

  TEST_CASE("several schedules of a job merge into one sequence without duplicates") {
    auto job = berlin_job({"0 * * * *", "*/30 * * * *"});
    JobSlots slots(job);
    auto s = slots_between(slots, "2026-01-05T10:00:00Z", "2026-01-05T11:00:01Z");
    REQUIRE(s.size() == 3);
    CHECK(s[0] == at("2026-01-05T10:00:00Z"));
    CHECK(s[1] == at("2026-01-05T10:30:00Z"));
    CHECK(s[2] == at("2026-01-05T11:00:00Z"));
    CHECK(slots.next_after(at("2026-01-05T10:00:00Z")) == at("2026-01-05T10:30:00Z"));
  }
}
