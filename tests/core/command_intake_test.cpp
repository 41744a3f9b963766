// plan_command: what each operator command asks of the engine (daemon/core/command_intake.h).
#include "daemon/core/command_intake.h"
#include "daemon/core/job_book.h"

#include <doctest/doctest.h>

#include <string>

using namespace bsched;
using namespace bsched::core;
using namespace std::chrono_literals;
using Kind = CommandPlan::Kind;

namespace {

const SysMillis k_requested = SysMillis(std::chrono::milliseconds(1'800'000'000'250));

storage::Command command(storage::CommandKind kind, std::string args = "{}") {
  storage::Command c;
  c.kind = kind;
  c.job = "orders";
  c.args_json = std::move(args);
  c.requested_by = "ops";
  c.requested_at = k_requested;
  return c;
}

struct ConfiguredJob {
  ConfiguredJob() {
    job.name = "orders";
    job.edit_settings().catchup_window = 10min;
    runtime.job = &job;
  }
  config::Job job;
  JobRuntime runtime;
};

}  // namespace

TEST_SUITE("core::command_intake") {
  TEST_CASE("pause carries its note, resume has none, both apply to a job not configured") {
    ConfiguredJob j;
    auto pause = plan_command(command(storage::CommandKind::pause, R"({"note": "month end"})"),
                              &j.runtime, k_requested);
    CHECK(pause.kind == Kind::set_paused);
    CHECK(pause.pause);
    CHECK(pause.note == "month end");
    auto resume = plan_command(command(storage::CommandKind::resume, R"({"note": "x"})"), nullptr,
                               k_requested);
    CHECK(resume.kind == Kind::set_paused);
    CHECK(!resume.pause);
    CHECK(resume.note.empty());
  }

  TEST_CASE("a trigger within catchup_window starts a manual run for the second it was asked in") {
    ConfiguredJob j;
    auto plan = plan_command(
        command(storage::CommandKind::trigger, R"({"properties": {"FROM": "2026-01-01", "N": 3}})"),
        &j.runtime, k_requested + 9min);
    REQUIRE(plan.kind == Kind::start_manual);
    CHECK(plan.slot == std::chrono::floor<std::chrono::seconds>(k_requested));
    CHECK(plan.deadline == SysMillis(plan.slot) + 10min);
    // Only string values are properties; the number is ignored.
    CHECK(plan.properties == std::vector<std::pair<std::string, std::string>>{{"FROM", "2026-01-01"}});
  }

  TEST_CASE("a trigger is rejected for a job not configured and past catchup_window") {
    ConfiguredJob j;
    auto unknown = plan_command(command(storage::CommandKind::trigger), nullptr, k_requested);
    CHECK(unknown.kind == Kind::reject);
    CHECK(unknown.reason == "no such job in the configuration");
    auto late = plan_command(command(storage::CommandKind::trigger), &j.runtime, k_requested + 11min);
    CHECK(late.kind == Kind::reject);
    CHECK(late.reason == "requested 11m ago, past catchup_window");
  }

  TEST_CASE("hostile args: malformed, wrong shapes, escapes and a large document are read leniently") {
    CHECK(trigger_properties("").empty());
    CHECK(trigger_properties("{\"properties\": {\"A\": \"1\"").empty());  // truncated
    CHECK(trigger_properties("[1, 2]").empty());
    CHECK(trigger_properties(R"({"properties": ["A", "B"]})").empty());
    CHECK(trigger_properties(R"({"properties": {"A": null, "B": {"C": "D"}}})").empty());
    CHECK(pause_note(R"({"note": 42})").empty());
    CHECK(pause_note("not json at all").empty());
    auto escaped = trigger_properties(R"({"properties": {"Q\"\u00e9\n": "a\u0000b"}})");
    REQUIRE(escaped.size() == 1);
    CHECK(escaped[0].first == "Q\"\xc3\xa9\n");
    CHECK(escaped[0].second == std::string("a\0b", 3));
    std::string big = "{\"properties\": {";
    for (int i = 0; i < 5000; ++i) big += (i ? "," : "") + std::string("\"P") + std::to_string(i) + "\": \"v\"";
    big += "}}";
    CHECK(trigger_properties(big).size() == 5000);
  }
}
