// Alerts with the real binary: a failed run's alert reaches a webhook on loopback exactly once,
// also when the daemon is killed (SIGKILL) after the failure was committed and before the
// receiver took the alert.
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/webhook_receiver.h"

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include <set>

using namespace bsched::e2e;

namespace {

// The run ids of the failed runs in the state database.
std::set<std::int64_t> failed_runs(const std::string& db) {
  std::set<std::int64_t> out;
  for (const auto& r : read_ledger(db).runs) {
    if (r.state == bsched::storage::RunState::error) out.insert(r.id);
  }
  return out;
}

// The run ids the receiver got alerts for, each as often as it came.
std::multiset<std::int64_t> alerted_runs(WebhookReceiver& receiver) {
  std::multiset<std::int64_t> out;
  for (const auto& b : receiver.bodies()) {
    auto o = boost::json::parse(b).as_object();
    if (o.at("kind") != "failed") continue;
    if (o.at("summary").as_bool()) {
      // Not expected here (one run per job), but counted if it happens.
      for (const auto& id : o.at("event_ids").as_array()) out.insert(-id.as_int64());
      continue;
    }
    out.insert(o.at("run_id").as_int64());
  }
  return out;
}

}  // namespace

TEST_SUITE("e2e::alerts") {
  TEST_CASE("a failed run's alert survives SIGKILL before delivery and arrives once") {
    ConfigTempDir dir;
    WebhookReceiver receiver;
    receiver.status = 503;  // takes nothing at first
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms", "--outcomes",
                         "error=1"});
    // Three jobs, one failing run each (the yearly schedule never fires; `trigger` starts it).
    std::string jobs;
    for (const char* name : {"orders-a", "orders-b", "orders-c"}) jobs += e2e_job(name, "0 0 1 1 *");
    auto config = write_e2e_config(dir, sim, jobs);
    {
      auto text = bsched::test::read_text(config);
      text += "alerts:\n  - name: hook\n    webhook: " + receiver.url("/T000/SECRET") +
              "\n    on: [failed]\n    timeout: 2s\n";
      dir.write("boomi-sched.yaml", text);
    }
    const auto db = (dir.path() / "state.db").string();
    auto daemon = std::make_unique<DaemonProcess>(dir, config);
    REQUIRE(daemon->wait_ready());
    for (const char* name : {"orders-a", "orders-b", "orders-c"}) {
      REQUIRE(cli(dir, std::string("trigger --config '") + config + "' " + name).exit_code == 0);
    }
    REQUIRE(wait_until([&] { return failed_runs(db).size() == 3; }, 10s));
    // The receiver refused at least one attempt: the alerts are in the outbox, undelivered.
    REQUIRE(wait_until([&] { return receiver.requests() >= 3; }, 5s));
    INFO("first daemon's log:\n" << daemon->log());
    CHECK(daemon->log().find("alert.retry") != std::string::npos);
    CHECK(daemon->log().find("SECRET") == std::string::npos);
    daemon->child().signal(SIGKILL);
    daemon.reset();

    receiver.status = 200;
    DaemonProcess again(dir, config, {}, 1);
    REQUIRE(again.wait_ready());
    INFO("second daemon's log:\n" << again.log());
    // The first retry comes 5 s (±20%) after the refused attempt.
    REQUIRE(wait_until([&] { return alerted_runs(receiver).size() >= 3; }, 15s));
    std::this_thread::sleep_for(1s);  // nothing more arrives
    auto got = alerted_runs(receiver);
    auto want = failed_runs(db);
    CHECK(got == std::multiset<std::int64_t>(want.begin(), want.end()));
    CHECK(again.log().find("alert.delivered") != std::string::npos);
    CHECK(again.log().find("SECRET") == std::string::npos);
    again.child().signal(SIGTERM);
    CHECK(again.child().exit_code(6s) == 0);
  }
}
