// `boomi-sched import` without the network: the YAML it writes (and that it validates), the
// switch record (hostile files included), and the switching against a scripted client.
#include "config/loader.h"
#include "daemon/cli/import_record.h"
#include "daemon/cli/import_switch.h"
#include "daemon/cli/import_yaml.h"
#include "tests/platform/run_real.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <deque>
#include <map>

using namespace bsched;
using namespace bsched::cli;
using namespace bsched::platform;

namespace {

ScheduleRule rule(const char* minutes, const char* hours, const char* dow = "*",
                  const char* dom = "*", const char* years = "*") {
  return ScheduleRule{minutes, hours, dow, dom, "*", years};
}

ProcessSchedules process(const std::string& id, std::vector<ScheduleRule> rules) {
  return ProcessSchedules{"CPS" + id, "ATOM", id, "", std::move(rules), std::nullopt};
}

ImportInput input() {
  ImportInput in;
  in.atom_id = "ATOM";
  in.zone = "Europe/Berlin";
  in.created = "2026-12-06T09:00:00Z";
  in.schedules = {process("p1", {rule("30", "2", "2-6")}),
                  process("p2", {rule("0", "6"), rule("0", "0", "*", "*", "2027")}),
                  process("p3", {}),
                  process("p4", {rule("0", "0", "2", "1")}),
                  process("p5", {rule("15", "3")})};
  in.schedules[4].retry = ScheduleRetry{2, {rule("*/5", "*")}};
  in.statuses["p1"] = ScheduleStatus{"PSS-p1", "ATOM", "p1", true};
  in.statuses["p2"] = ScheduleStatus{"PSS-p2", "ATOM", "p2", true};
  in.statuses["p5"] = ScheduleStatus{"PSS-p5", "ATOM", "p5", false};
  return in;
}

const char* k_main = R"(platform:
  account_id: acct
  base_url: http://127.0.0.1:9/api/rest/v1
  username: user
  token_env: BSCHED_IMPORT_TEST_TOKEN
storage:
  path: state.db
)";

// A ScheduleClient whose status updates follow a script: "ok", "503", "timeout".
class FakeScheduleClient final : public ScheduleClient {
 public:
  std::map<std::string, ScheduleStatus> statuses;
  std::deque<std::string> script;
  std::vector<std::string> updates;  // "id=false"

  boost::asio::awaitable<CallResult<std::vector<ProcessSchedules>>> query_schedules(
      const ScheduleFilter&) override {
    co_return std::vector<ProcessSchedules>{};
  }
  boost::asio::awaitable<CallResult<std::vector<ScheduleStatus>>> query_statuses(
      const ScheduleFilter&) override {
    co_return std::vector<ScheduleStatus>{};
  }
  boost::asio::awaitable<CallResult<std::vector<BulkItem<ProcessSchedules>>>> get_schedules(
      const std::vector<std::string>&) override {
    co_return std::vector<BulkItem<ProcessSchedules>>{};
  }
  boost::asio::awaitable<CallResult<std::vector<BulkItem<ScheduleStatus>>>> get_statuses(
      const std::vector<std::string>& ids) override {
    std::vector<BulkItem<ScheduleStatus>> out;
    for (const auto& id : ids) {
      auto it = statuses.find(id);
      if (it == statuses.end()) out.push_back({id, std::nullopt, 400, "Invalid id"});
      else out.push_back({id, it->second, 200, {}});
    }
    co_return out;
  }
  boost::asio::awaitable<CallResult<ScheduleStatus>> set_enabled(const ScheduleStatus& s,
                                                                 bool enabled) override {
    updates.push_back(s.id + "=" + (enabled ? "true" : "false"));
    auto step = script.empty() ? std::string("ok") : script.front();
    if (!script.empty()) script.pop_front();
    CallError e;
    if (step == "503") {
      e.kind = FailureKind::throttled;
      e.http_status = 503;
      e.message = "rate exceeded";
      co_return e;
    }
    statuses[s.id].enabled = enabled;
    if (step == "timeout") {  // applied, but no answer arrived
      e.kind = FailureKind::retry_later;
      e.message = "read timed out after 1s";
      co_return e;
    }
    co_return statuses[s.id];
  }
};

std::string fixed_now() { return "2026-12-06T09:00:00Z"; }

struct TempFile {
  std::string path = "/tmp/bsched-import-test-" + std::to_string(::getpid()) + ".json";
  ~TempFile() { std::remove(path.c_str()); }
};

}  // namespace

TEST_SUITE("cli::import") {
  TEST_CASE("the written YAML keeps every rule, converted or commented out with its reason") {
    auto out = build_import(input());
    CHECK(out.empty == 1);
    CHECK(out.jobs.size() == 4);
    const auto& y = out.yaml;
    CHECK(y.find("  process-p1:\n    schedule:\n      # platform rule: minutes=30 hours=2 "
                 "daysOfWeek=2-6 daysOfMonth=* months=* years=*\n      - \"30 2 * * 1-5\"\n") !=
          std::string::npos);
    CHECK(y.find("timezone: \"Europe/Berlin\"") != std::string::npos);
    CHECK(y.find("# NOT CONVERTED: years is restricted to '2027'") != std::string::npos);
    CHECK(y.find("# process p4 not imported: none of its rules converts") != std::string::npos);
    CHECK(y.find("# NOT CONVERTED: a Retry block (maxRetry 2") != std::string::npos);
    CHECK(y.find("enabled: false  # the schedule is switched off on the platform") !=
          std::string::npos);
    CHECK(out.warnings.size() == 4);  // p2's years, p4 not imported + its rule, p5's Retry
    CHECK_FALSE(out.everything_converted());
  }

  TEST_CASE("the written YAML validates with the configuration it joins") {
    auto out = build_import(input());
    config::LoadOptions lo;
    lo.read_secret = false;
    auto loaded = config::load_config_from_sources(
        {{"/etc/b/boomi-sched.yaml", k_main}, {"/etc/b/jobs.d/imported.yaml", out.yaml}}, lo);
    if (!loaded)
      for (const auto& d : loaded.error()) FAIL_CHECK(d.to_string());
    REQUIRE(loaded.has_value());
    const auto* job = loaded->config->find_job("process-p2");
    REQUIRE(job);
    CHECK(job->process_id == "p2");
    CHECK(job->schedules.size() == 1);
    CHECK(loaded->config->find_job("process-p5")->enabled == false);
    // Not everything converted: the platform keeps it, so it stays off here.
    CHECK(loaded->config->find_job("process-p2")->enabled == false);
    CHECK(loaded->config->find_job("process-p1")->enabled == true);
  }

  TEST_CASE("jobs already configured are not duplicated and names do not collide") {
    auto in = input();
    in.configured["p1 ATOM"] = "nightly";
    in.names = {"nightly", "process-p2"};
    auto out = build_import(in);
    CHECK(out.yaml.find("process-p1:") == std::string::npos);
    CHECK(out.yaml.find("already configured as job 'nightly'") != std::string::npos);
    CHECK(out.yaml.find("  process-p2-2:\n") != std::string::npos);
  }

  TEST_CASE("hostile ids from the platform never reach the YAML unquoted") {
    auto in = input();
    in.schedules = {process("p1\"\n  evil: 1", {rule("0", "1")})};
    auto out = build_import(in);
    CHECK(out.yaml.find("\n  evil") == std::string::npos);
    CHECK(out.jobs[0].job.empty());
    ProcessSchedules named = process("p9", {});
    named.process_name = "Orders: EU/US  (nightly)";
    CHECK(job_name_for(named, {}) == "Orders-EU-US-nightly");
    named.process_name = std::string(200, '-');
    CHECK(job_name_for(named, {}) == "process-p9");
  }

  TEST_CASE("a record reads back as written, hostile records are refused with the reason") {
    SwitchRecord r{"acct", "ATOM", "jobs.d/x.yaml", "t", {}};
    r.entries.push_back({"job", "p1", "ATOM", "PSS-p1", SwitchState::uncertain, "timeout", "t"});
    auto back = parse_switch_record(record_json(r));
    REQUIRE(back.has_value());
    CHECK(back->entries[0].state == SwitchState::uncertain);
    CHECK(back->entries[0].status_id == "PSS-p1");
    CHECK_FALSE((parse_switch_record("")).has_value());
    CHECK_FALSE((parse_switch_record("[]")).has_value());
    CHECK_FALSE((parse_switch_record(R"({"format":"other"})")).has_value());
    auto bad = record_json(r);
    auto with = [&](const std::string& from, const std::string& to) {
      auto s = bad;
      s.replace(s.find(from), from.size(), to);
      return parse_switch_record(s);
    };
    CHECK(with("\"uncertain\"", "\"on\"").error().message == "entry 1: unknown state 'on'");
    CHECK(with("\"PSS-p1\"", "\"../../x y\"").error().message.find("entry 1: an id") == 0);
    CHECK(with("\"PSS-p1\"", "7").error().message == "entry 1: 'status_id' must be a string");
    CHECK_FALSE((parse_switch_record(std::string(5000, '['))).has_value());
  }

  TEST_CASE("disabling plans only complete, enabled, imported jobs") {
    auto out = build_import(input());
    std::vector<std::string> left;
    auto plan = plan_disable(out, left);
    REQUIRE(plan.entries.size() == 1);
    CHECK(plan.entries[0].job == "process-p1");
    CHECK(plan.entries[0].status_id == "PSS-p1");
    CHECK(left.size() == 2);  // p2 not complete, p5 not complete (Retry)
  }

  TEST_CASE("a failure halfway (503 then timeout) leaves a record that says what was switched") {
    FakeScheduleClient fake;
    SwitchRecord plan{"acct", "ATOM", "x.yaml", "t", {}};
    for (int i = 1; i <= 5; ++i) {
      auto id = "PSS-p" + std::to_string(i);
      fake.statuses[id] = ScheduleStatus{id, "ATOM", "p" + std::to_string(i), i != 5};
      plan.entries.push_back({"job" + std::to_string(i), "p" + std::to_string(i), "ATOM", id,
                              SwitchState::pending, {}, {}});
    }
    plan.entries.push_back({"job6", "p6", "ATOM", "PSS-p6", SwitchState::pending, {}, {}});
    fake.script = {"ok", "503", "timeout"};
    TempFile file;
    boost::asio::io_context io;
    SwitchContext ctx{fake, file.path, false, &fixed_now};
    bool all = test::run_real(io, disable_on_platform(ctx, plan));
    CHECK_FALSE(all);
    auto text = read_whole_file(file.path);
    REQUIRE(text.has_value());
    auto rec = parse_switch_record(*text);
    REQUIRE(rec.has_value());
    CHECK(rec->entries[0].state == SwitchState::disabled);
    CHECK(rec->entries[1].state == SwitchState::failed);     // 503: not acted on
    CHECK(rec->entries[1].error.find("HTTP 503") != std::string::npos);
    CHECK(rec->entries[2].state == SwitchState::disabled);   // timeout, read back: off
    CHECK(rec->entries[3].state == SwitchState::disabled);
    CHECK(rec->entries[4].state == SwitchState::already_disabled);
    CHECK(rec->entries[5].state == SwitchState::failed);     // no such status
    CHECK(fake.statuses["PSS-p2"].enabled);
    CHECK_FALSE(fake.statuses["PSS-p1"].enabled);

    // Enabling from the record switches back exactly what this run switched off.
    fake.updates.clear();
    bool on = test::run_real(io, enable_on_platform(ctx, *rec));
    CHECK(on);
    CHECK(fake.updates == std::vector<std::string>{"PSS-p1=true", "PSS-p3=true", "PSS-p4=true"});
    CHECK_FALSE(fake.statuses["PSS-p5"].enabled);  // was off before: stays off
    auto after = parse_switch_record(*read_whole_file(file.path));
    REQUIRE(after.has_value());
    CHECK(after->entries[0].state == SwitchState::enabled);
    CHECK(after->entries[4].state == SwitchState::already_disabled);
  }

  TEST_CASE("a dry run switches nothing on") {
    FakeScheduleClient fake;
    SwitchRecord rec{"acct", "ATOM", "x.yaml", "t", {}};
    rec.entries.push_back({"j", "p1", "ATOM", "PSS-p1", SwitchState::disabled, {}, {}});
    TempFile file;
    boost::asio::io_context io;
    SwitchContext ctx{fake, file.path, true, &fixed_now};
    CHECK(test::run_real(io, enable_on_platform(ctx, rec)));
    CHECK(fake.updates.empty());
  }
}
