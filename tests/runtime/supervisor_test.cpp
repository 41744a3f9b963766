// The process shell around a scripted scheduler: readiness, reloads (good, broken and
// unchanged configurations), signals and stopping, as systemd sees them.
#include "daemon/runtime/supervisor.h"
#include "tests/support/config_test_util.h"
#include "tests/support/recording_notifier.h"

#include "config/loader.h"

#include <doctest/doctest.h>

#include <signal.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

using namespace bsched;
using namespace bsched::runtime;
using bsched::test::ConfigTempDir;
using bsched::test::ScopedEnv;
namespace asio = boost::asio;

namespace {

class FakeScheduler final : public Scheduler {
 public:
  asio::awaitable<Result<void>> start() override {
    ++starts;
    if (fail_start) co_return make_error("database is busy");
    co_return Result<void>{};
  }
  void reload(std::shared_ptr<const config::Config> c) override { reloaded.push_back(c); }
  void on_clock_step() override { ++clock_steps; }
  void check_commands() override { ++command_checks; }
  asio::awaitable<void> stop() override {
    ++stops;
    co_return;
  }
  core::EngineStats stats() const override {
    return {static_cast<int>(reloaded.empty() ? 1 : reloaded.back()->jobs.size()), 0, 0, "ok"};
  }

  bool fail_start = false;
  int starts = 0, stops = 0, clock_steps = 0, command_checks = 0;
  std::vector<std::shared_ptr<const config::Config>> reloaded;
};

std::string job_yaml(const std::string& name, const std::string& schedule) {
  return "  " + name + ":\n    schedule: \"" + schedule +
         "\"\n    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
         "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n";
}

struct Fixture {
  ConfigTempDir dir;
  ScopedEnv token{"BSCHED_SUPERVISOR_TEST_TOKEN", std::string("t0ken")};
  std::string config_path;
  asio::io_context io;
  FakeScheduler scheduler;
  RecordingNotifier notifier;
  StopDeadline deadline;
  std::unique_ptr<Supervisor> supervisor;
  int exit_code = -1;

  Fixture() {
    write_jobs(job_yaml("alpha", "*/5 * * * * *"));
    auto loaded = config::load_config(config_path);
    REQUIRE(loaded.has_value());
    SupervisorSettings s;
    s.config_path = config_path;
    s.db_path = (dir.path() / "state.db").string();
    s.watch_files = false;  // reloads are driven by hand here
    supervisor = std::make_unique<Supervisor>(io, scheduler, notifier, deadline, s,
                                              loaded->config);
  }

  void write_jobs(const std::string& jobs) {
    config_path = dir.write("boomi-sched.yaml",
                            "platform:\n  account_id: acct\n  base_url: http://127.0.0.1:9/api\n"
                            "  username: u\n  token_env: BSCHED_SUPERVISOR_TEST_TOKEN\n"
                            "storage:\n  path: " + (dir.path() / "state.db").string() +
                                "\njobs:\n" + jobs);
  }

  // Runs the supervisor; `during` runs on the loop once it is ready.
  void run(std::function<void()> during) {
    asio::co_spawn(io, supervisor->run(), [this](std::exception_ptr e, int code) {
      REQUIRE_FALSE(e);
      exit_code = code;
    });
    asio::post(io, std::move(during));
    io.run_for(std::chrono::seconds(10));  // a bound, not a wait: run() ends on its own
  }

  bool sent_in_order(const std::vector<std::string>& prefixes) const {
    size_t at = 0;
    for (const auto& m : notifier.messages) {
      if (at < prefixes.size() && m.rfind(prefixes[at], 0) == 0) ++at;
    }
    return at == prefixes.size();
  }
};

}  // namespace

TEST_SUITE("runtime::supervisor") {
  TEST_CASE("READY=1 follows a successful start and STOPPING=1 a stop request") {
    Fixture f;
    f.run([&] {
      CHECK(f.scheduler.starts == 1);
      REQUIRE(f.notifier.messages.size() == 2);
      CHECK(f.notifier.messages[0] == status_message(k_starting_status));
      CHECK(f.notifier.messages[1].rfind("READY=1\nSTATUS=1 job, 0 in flight", 0) == 0);
      f.supervisor->request_stop("test");
    });
    CHECK(f.exit_code == 0);
    CHECK(f.scheduler.stops == 1);
    CHECK(f.sent_in_order({"READY=1", "STOPPING=1"}));
  }

  TEST_CASE("a scheduler that fails to start ends the daemon with status 1 and no READY=1") {
    Fixture f;
    f.scheduler.fail_start = true;
    f.run([] {});
    CHECK(f.exit_code == 1);
    CHECK(std::none_of(f.notifier.messages.begin(), f.notifier.messages.end(),
                       [](const std::string& m) { return m.rfind("READY=1", 0) == 0; }));
  }

  TEST_CASE("a valid changed configuration is swapped in between RELOADING=1 and READY=1") {
    Fixture f;
    f.run([&] {
      f.write_jobs(job_yaml("alpha", "*/5 * * * * *") + job_yaml("beta", "0 * * * *"));
      f.supervisor->reload("test");
      REQUIRE(f.scheduler.reloaded.size() == 1);
      CHECK(f.scheduler.reloaded[0]->jobs.size() == 2);
      CHECK(f.supervisor->config()->find_job("beta") != nullptr);
      f.supervisor->request_stop("test");
    });
    CHECK(f.sent_in_order({"READY=1", "RELOADING=1\nMONOTONIC_USEC=", "READY=1\nSTATUS=2 jobs",
                           "STOPPING=1"}));
  }

  TEST_CASE("a broken configuration keeps the previous one and the status says so") {
    Fixture f;
    f.run([&] {
      auto before = f.supervisor->config();
      f.write_jobs("  alpha:\n    schedule: \"*/5 * * * * *\"\n    process_id: p\n    bogus: 1\n");
      f.supervisor->reload("test");
      CHECK(f.scheduler.reloaded.empty());
      CHECK(f.supervisor->config() == before);
      REQUIRE_FALSE(f.notifier.messages.empty());
      auto last = f.notifier.messages.back();
      CHECK(last.rfind("READY=1\nSTATUS=", 0) == 0);
      CHECK(last.find("config reload failed") != std::string::npos);
      // A fixed file clears the note again.
      f.write_jobs(job_yaml("alpha2", "*/5 * * * * *"));
      f.supervisor->reload("test");
      CHECK(f.scheduler.reloaded.size() == 1);
      CHECK(f.notifier.messages.back().find("reload failed") == std::string::npos);
      f.supervisor->request_stop("test");
    });
    CHECK(f.exit_code == 0);
  }

  TEST_CASE("an unchanged configuration does not reach the scheduler") {
    Fixture f;
    f.run([&] {
      f.supervisor->reload("test");
      CHECK(f.scheduler.reloaded.empty());
      f.supervisor->request_stop("test");
    });
    CHECK(f.sent_in_order({"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"}));
  }

  TEST_CASE("SIGHUP reloads and SIGTERM stops") {
    Fixture f;
    f.run([&] {
      f.write_jobs(job_yaml("gamma", "0 * * * *"));
      ::raise(SIGHUP);  // handled by the supervisor's signal_set on the loop
      asio::post(f.io, [&] {
        asio::post(f.io, [&] { ::raise(SIGTERM); });
      });
    });
    CHECK(f.exit_code == 0);
    REQUIRE(f.scheduler.reloaded.size() == 1);
    CHECK(f.scheduler.reloaded[0]->find_job("gamma") != nullptr);
    CHECK(f.sent_in_order({"READY=1", "RELOADING=1", "READY=1", "STOPPING=1"}));
  }
}
