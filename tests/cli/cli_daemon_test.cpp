// The command line against a running (or stopped) daemon and the simulator, through the
// real binaries: what `status` tells after a stop, after a refused reload, before the first
// start, its JSON and --wide forms, and `run --dev` found from another terminal.
#include "tests/e2e/e2e_support.h"
#include "tests/cli/cli_support.h"

#include "daemon/runtime/instance_lock.h"

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

using namespace bsched::e2e;
using namespace bsched::clitest;

namespace {

// A command of the binary with the dev daemon's runtime directory and no configuration named.
test::CommandOutput dev_cli(const ConfigTempDir& dir, const std::string& args) {
  return test::run_command("env -u BOOMI_SCHED_CONFIG XDG_RUNTIME_DIR='" +
                               (dir.path() / "run").string() + "' '" + BSCHED_BINARY + "' " + args,
                           dir);
}

}  // namespace

TEST_SUITE("cli::status") {
  // `status` after the daemon stopped: the daemon shows as stopped with the time of its clean
  // stop, and the runs it left in flight as no longer tracked; never as running.
  TEST_CASE("after a clean stop status says stopped and the runs in flight are not tracked") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "60s"});
    auto config = write_e2e_config(dir, sim, e2e_job("slow", "0 0 1 1 *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    REQUIRE(run_cli(dir, config, "trigger slow").exit_code == 0);
    REQUIRE(wait_until([&] {
      auto last = job_of(status_json(dir, config), "slow").at("last_run");
      return last.is_object() && last.as_object().at("state").as_string() == "running";
    }, 5s));
    auto running = run_cli(dir, config, "status");
    CHECK(running.out.starts_with("daemon: running (pid "));
    CHECK(running.out.find("RUNNING") != std::string::npos);

    daemon.child().signal(SIGTERM);
    REQUIRE(daemon.child().exit_code(6s) == 0);
    auto r = run_cli(dir, config, "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("daemon: stopped at "));
    CHECK(r.out.find("a clean stop of pid") != std::string::npos);
    CHECK(r.out.find("platform ok") == std::string::npos);
    CHECK(r.out.find("RUNNING, not tracked since ") != std::string::npos);
    CHECK(r.out.find("1 (not tracked)") != std::string::npos);

    auto s = status_json(dir, config);
    const auto& d = s.at("daemon").as_object();
    CHECK(d.at("state").as_string() == "stopped");
    CHECK(d.at("running").as_bool() == false);
    CHECK(d.at("stopped_at").is_string());
    auto job = job_of(s, "slow");
    CHECK(job.at("in_flight").as_int64() == 1);
    CHECK(job.at("in_flight_tracked").as_bool() == false);
    CHECK(job.at("untracked_since") == d.at("stopped_at"));
  }

  TEST_CASE("a clean stop wins over a pid that is alive again (reused, or another namespace's)") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, e2e_job("a", "0 10 * * *"));
    {
      auto store = bsched::storage::SqliteRunStore::open((dir.path() / "state.db").string());
      REQUIRE(store.has_value());
      auto now = std::chrono::time_point_cast<bsched::Millis>(std::chrono::system_clock::now());
      // This test's own pid: alive, and the heartbeat is fresh.
      bsched::storage::Heartbeat h{static_cast<int>(::getpid()), now - 1h, now - 2s, now - 1h,
                                   "fp", "ok"};
      REQUIRE((*store)->write_heartbeat(h).has_value());
      bsched::storage::DaemonNotes notes{.pid = h.pid, .stopped_at = now - 1s};
      REQUIRE((*store)->write_daemon_notes(notes).has_value());
    }
    auto r = run_cli(dir, config, "status");
    INFO(r.out << r.err);
    CHECK(r.out.starts_with("daemon: stopped at "));
    CHECK(r.out.find(fmt::format("a clean stop of pid {}", ::getpid())) != std::string::npos);
  }

  TEST_CASE("a daemon killed without a clean stop shows as not running, with its last heartbeat") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms"});
    auto config = write_e2e_config(dir, sim, e2e_job("a", "0 0 1 1 *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    daemon.child().kill_and_reap();
    auto r = run_cli(dir, config, "status");
    INFO(r.out << r.err);
    CHECK(r.out.starts_with("daemon: not running (last seen "));
    CHECK(r.out.find("ended without a clean stop: see its log") != std::string::npos);
    CHECK(status_json(dir, config).at("daemon").as_object().at("state").as_string() == "gone");
  }
}

TEST_SUITE("cli::status") {
  // A reload the daemon refused shows in `status` and `status --json`: the daemon runs the
  // previous configuration since the failed reload, with the error count and the command
  // that lists the errors; a good edit clears it.
  TEST_CASE("a refused reload shows in status until a reload succeeds") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms"});
    auto config = write_e2e_config(dir, sim, e2e_job("a", "0 0 1 1 *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    CHECK(status_json(dir, config).at("daemon").as_object().at("reload").as_object().at("state") ==
          "ok");

    dir.write("jobs.d/jobs.yaml", "jobs:\n" + e2e_job("a", "61 * * * *") +
                                      e2e_job("b", "* * * 13 *"));
    REQUIRE(wait_until([&] { return daemon.log().find("errors=2 action=keep_previous_config") !=
                                    std::string::npos; }, 5s));
    REQUIRE(wait_until([&] {
      return status_json(dir, config).at("daemon").as_object().at("reload").as_object().at(
                 "state") == "failed";
    }, 3s));
    auto r = run_cli(dir, config, "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("daemon: running (pid "));
    CHECK(r.out.find("\nconfig: a reload failed at ") != std::string::npos);
    CHECK(r.out.find("(2 errors: " + (dir.path() / "jobs.d/jobs.yaml").string() + ":") !=
          std::string::npos);
    CHECK(r.out.find("the daemon still runs the configuration loaded ") != std::string::npos);
    CHECK(r.out.find("see every error with: boomi-sched validate --config " + config) !=
          std::string::npos);
    // The job table still comes from the database, and stderr says why the schedules are not
    // shown.
    CHECK(r.out.find("(configuration does not load)") != std::string::npos);
    CHECK(r.err.find("the configuration " + config + " does not load (2 errors") !=
          std::string::npos);

    auto s = status_json(dir, config);
    const auto& reload = s.at("daemon").as_object().at("reload").as_object();
    CHECK(reload.at("state") == "failed");
    CHECK(reload.at("errors").as_int64() == 2);
    CHECK(reload.at("failed_at").is_string());
    CHECK(std::string(reload.at("first_error").as_string()).find("jobs.d/jobs.yaml:") !=
          std::string::npos);
    CHECK(s.at("config").as_object().at("loads") == false);
    CHECK(s.at("config").as_object().at("errors").as_int64() == 2);

    dir.write("jobs.d/jobs.yaml", "jobs:\n" + e2e_job("a", "0 0 2 1 *"));
    REQUIRE(wait_until([&] {
      return status_json(dir, config).at("daemon").as_object().at("reload").as_object().at(
                 "state") == "ok";
    }, 5s));
    auto fixed = run_cli(dir, config, "status");
    INFO(fixed.out << fixed.err);
    CHECK(fixed.out.find("reload failed") == std::string::npos);
    CHECK(fixed.err == "");
    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);
  }
}

TEST_SUITE("cli::status") {
  // `status --json` carries what the text shows (lateness of the last run, the next fire in the
  // job's zone with its abbreviation, the reload state, the store's health), and
  // `status --wide` shows the platform's executionId of each job's last run.
  TEST_CASE("status --json has lateness, the zoned next fire, reload and store health") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "100ms"});
    auto config = write_e2e_config(
        dir, sim,
        e2e_job("tick", "* * * * * *", "    timezone: America/New_York\n") +
            e2e_job("once", "0 0 1 1 *"));
    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    REQUIRE(wait_until([&] {
      auto last = job_of(status_json(dir, config), "tick").at("last_run");
      return last.is_object() && last.as_object().at("state") == "complete";
    }, 8s));
    auto s = status_json(dir, config);
    auto job = job_of(s, "tick");
    CHECK(job.at("last_run_late_ms").is_int64());
    CHECK(job.at("last_run_late_ms").as_int64() >= 0);
    CHECK(job.at("last_run_late_ms").as_int64() < 5000);
    const auto& next = job.at("next_in_zone").as_object();
    auto abbrev = std::string(next.at("abbrev").as_string());
    CHECK((abbrev == "EST" || abbrev == "EDT"));
    auto local = std::string(next.at("local").as_string());
    CHECK((local.ends_with("-05:00") || local.ends_with("-04:00")));
    const auto& d = s.at("daemon").as_object();
    CHECK(d.at("reload").as_object().at("state") == "ok");
    const auto& store = s.at("store").as_object();
    CHECK(std::string(store.at("path").as_string()) == (dir.path() / "state.db").string());
    CHECK(store.at("exists") == true);
    CHECK(store.at("health") == "ok");
    CHECK(s.at("config").as_object().at("loads") == true);

    // --wide: the executionId of the last run, the same one history reports.
    REQUIRE(run_cli(dir, config, "trigger once").exit_code == 0);
    std::string id;
    REQUIRE(wait_until([&] {
      auto last = job_of(status_json(dir, config), "once").at("last_run");
      if (!last.is_object() || last.as_object().at("state") != "complete") return false;
      id = std::string(last.as_object().at("execution_id").as_string());
      return true;
    }, 8s));
    REQUIRE(id.starts_with("execution-"));
    auto wide = run_cli(dir, config, "status --wide");
    INFO(wide.out << wide.err);
    CHECK(wide.exit_code == 0);
    CHECK(wide.out.find("  EXECUTION\n") != std::string::npos);
    auto line_start = wide.out.find("\nonce ");
    REQUIRE(line_start != std::string::npos);
    auto line = wide.out.substr(line_start + 1, wide.out.find('\n', line_start + 1) - line_start - 1);
    CHECK(line.ends_with("  " + id));
    auto history = run_cli(dir, config, "history once --json");
    CHECK(history.out.find("\"execution_id\":\"" + id + "\"") != std::string::npos);
    CHECK(run_cli(dir, config, "status").out.find("EXECUTION") == std::string::npos);
    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);
  }
}

TEST_SUITE("cli::first_start") {
  // Before the daemon's first start: `status` lists every configured job with its schedule,
  // zone and next fire and says the daemon never started; `pause`, `resume` and `trigger`
  // create the state database as the daemon would, and the daemon carries them out when it
  // starts.
  TEST_CASE("status before the first start shows the configured jobs and never-started") {
    ConfigTempDir dir;
    auto config = write_offline_config(
        dir, e2e_job("nightly", "30 2 * * *", "    timezone: America/New_York\n") +
                 e2e_job("often", "@every 15m"));
    auto r = run_cli(dir, config, "status");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.starts_with("daemon: never started (no state database at " +
                            (dir.path() / "state.db").string() + " yet"));
    CHECK(r.out.find("nightly  30 2 * * * (NY)") != std::string::npos);
    CHECK((r.out.find(" EST (in ") != std::string::npos ||
           r.out.find(" EDT (in ") != std::string::npos));
    CHECK(r.out.find("often    @every 15m") != std::string::npos);
    auto s = status_json(dir, config);
    CHECK(s.at("daemon").as_object().at("state") == "never_started");
    CHECK(job_of(s, "nightly").at("next").is_string());
    CHECK(job_of(s, "nightly").at("timezone") == "America/New_York");
    // Reading never creates the database.
    CHECK(!std::filesystem::exists(dir.path() / "state.db"));
    auto h = run_cli(dir, config, "history nightly");
    CHECK(h.exit_code == 0);
    CHECK(h.err.find("no runs yet: no state database at") != std::string::npos);
    CHECK(run_cli(dir, config, "history --json").out == "[]\n");
  }

  TEST_CASE("pause and trigger before the first start are carried out when the daemon starts") {
    ConfigTempDir dir;
    SimProcess sim(dir, {"--pickup-delay", "100ms", "--run-duration", "200ms"});
    auto config = write_e2e_config(dir, sim,
                                   e2e_job("yearly", "0 0 1 1 *") + e2e_job("often", "* * * * * *"));
    auto p = run_cli(dir, config, "pause often --note before-start");
    INFO(p.out << p.err);
    REQUIRE(p.exit_code == 0);
    CHECK(p.out.find("pause often: recorded; no daemon is running") != std::string::npos);
    struct stat st{};
    REQUIRE(::stat((dir.path() / "state.db").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(run_cli(dir, config, "trigger yearly").exit_code == 0);
    auto s = run_cli(dir, config, "status");
    CHECK(s.out.starts_with("daemon: not running (no daemon has used this database yet)"));
    CHECK(s.out.find("paused: \"before-start\"") != std::string::npos);

    DaemonProcess daemon(dir, config);
    REQUIRE(daemon.wait_ready());
    INFO("log:\n" << daemon.log());
    REQUIRE(wait_until([&] {
      for (const auto& sub : sim.submits()) {
        if (sub.job == "yearly") return true;
      }
      return false;
    }, 5s));
    std::this_thread::sleep_for(1500ms);
    for (const auto& sub : sim.submits()) CHECK(sub.job != "often");
    REQUIRE(run_cli(dir, config, "resume often").exit_code == 0);
    REQUIRE(wait_until([&] {
      for (const auto& sub : sim.submits()) {
        if (sub.job == "often") return true;
      }
      return false;
    }, 4s));
    daemon.child().signal(SIGTERM);
    CHECK(daemon.child().exit_code(6s) == 0);
  }

  TEST_CASE("creating the database before the first start respects the daemon's lock") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, e2e_job("a", "0 10 * * *"));
    auto db = (dir.path() / "state.db").string();
    auto lock = bsched::runtime::InstanceLock::acquire(db);
    REQUIRE(lock.has_value());
    auto r = run_cli(dir, config, "pause a");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("pause: cannot create the state database: another boomi-sched daemon") !=
          std::string::npos);
    CHECK(!std::filesystem::exists(db));
  }
}

TEST_SUITE("cli::dev") {
  // `run --dev` from an operator's seat: a plain `boomi-sched status` in another terminal finds
  // the dev daemon and says so; the demo shows a failing job, a slow one and completed runs on
  // purpose; `run --dev --config X` is refused instead of ignoring X.
  TEST_CASE("status, history and trigger find the dev daemon, the demo fails one job on purpose") {
    if (std::filesystem::exists("/etc/boomi-sched/boomi-sched.yaml")) {
      MESSAGE("skipped: an installed configuration takes precedence over the dev daemon");
      return;
    }
    ConfigTempDir dir;
    std::filesystem::create_directories(dir.path() / "run");
    Child daemon({"run", "--dev"},
                 {{"XDG_RUNTIME_DIR", (dir.path() / "run").string()},
                  {"TMPDIR", dir.path().string()}},
                 (dir.path() / "dev.stdout").string(), (dir.path() / "dev.stderr").string());
    REQUIRE(wait_until([&] { return daemon.err().find("daemon.ready") != std::string::npos; },
                       15s));
    INFO("banner:\n" << daemon.out() << "log:\n" << daemon.err());
    CHECK(daemon.out().find("\n  boomi-sched status\n") != std::string::npos);
    CHECK(std::filesystem::exists(dir.path() / "run/boomi-sched-dev"));

    REQUIRE(dev_cli(dir, "trigger invoice-export").exit_code == 0);
    REQUIRE(dev_cli(dir, "trigger orders-sync").exit_code == 0);
    // A few entries: a slot of the job skipped while the triggered run was in flight is newer
    // than that run, and history lists newest first.
    REQUIRE(wait_until([&] {
      auto h = dev_cli(dir, "history invoice-export --limit 5");
      return h.out.find("  ERROR  ") != std::string::npos;
    }, 10s));
    REQUIRE(wait_until([&] {
      auto h = dev_cli(dir, "history orders-sync --limit 5");
      return h.out.find("  COMPLETE  ") != std::string::npos;
    }, 10s));
    auto s = dev_cli(dir, "status");
    INFO(s.out << s.err);
    CHECK(s.exit_code == 0);
    CHECK(s.err.find("using the dev daemon's configuration ") != std::string::npos);
    CHECK(s.err.find("(run --dev, pid " + std::to_string(daemon.pid()) + ")") !=
          std::string::npos);
    CHECK(s.out.starts_with("daemon: running (pid " + std::to_string(daemon.pid())));
    // The failed run itself is checked in history above: status shows each job's newest run,
    // and invoice-export's next slot (every 15 s) may already have replaced it there.
    CHECK(s.out.find("invoice-export") != std::string::npos);

    daemon.signal(SIGTERM);
    CHECK(daemon.exit_code(6s) == 0);
    CHECK(!std::filesystem::exists(dir.path() / "run/boomi-sched-dev"));
    // Gone: the commands no longer find it, and say where they looked.
    auto after = dev_cli(dir, "status");
    CHECK(after.exit_code == 1);
    CHECK(after.err.find("/etc/boomi-sched/boomi-sched.yaml") != std::string::npos);
  }

  TEST_CASE("run --dev --config is refused rather than ignored") {
    ConfigTempDir dir;
    auto r = cli(dir, "run --dev --config /nonexistent/boomi-sched.yaml");
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("run --dev runs its own demo jobs against the built-in simulator and does "
                     "not read --config") != std::string::npos);
  }

  TEST_CASE("a dev pointer of another user or writable by others is not followed") {
    ConfigTempDir dir;
    std::filesystem::create_directories(dir.path() / "run");
    auto config = write_offline_config(dir, e2e_job("a", "0 10 * * *"));
    auto pointer = dir.write("run/boomi-sched-dev",
                             std::to_string(::getpid()) + "\n" + config + "\n");
    ::chmod(pointer.c_str(), 0666);
    auto r = dev_cli(dir, "status");
    CHECK(r.err.find("using the dev daemon") == std::string::npos);
    ::chmod(pointer.c_str(), 0600);
    if (!std::filesystem::exists("/etc/boomi-sched/boomi-sched.yaml")) {
      auto ok = dev_cli(dir, "status");
      CHECK(ok.err.find("using the dev daemon's configuration " + config) != std::string::npos);
    }
  }
}
