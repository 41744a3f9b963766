// The command line as an operator meets it, through the real binary without a daemon:
// messages, `next`, `validate`, permissions, the events page, shell completion.
#include "tests/cli/cli_support.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

using namespace bsched::clitest;

namespace {

// `next --from` lists instants at or after --from, fractions of a second included: a --from
// past a whole second never lists that second.

// The UTC column of the first line `next` prints.
std::string first_utc(const ConfigTempDir& dir, const std::string& args) {
  auto r = bin(dir, "next " + args + " --count 1 --json");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto list = boost::json::parse(r.out).as_array();
  REQUIRE(list.size() == 1);
  return std::string(list[0].as_object().at("utc").as_string());
}


// `validate` reports every error at once and where it is: a bad inherited zone does not hide
// the schedule errors of the jobs that use it, a missing space_guid points at `api:`, and
// the summary counts errors by the file they are in.

test::CommandOutput validate(const ConfigTempDir& dir, const std::string& config) {
  return run_cli(dir, config, "validate --no-secret");
}


// docs/events.md lists every event the code logs, and an event is one line of the log: the
// refusal of a damaged state database included.

// Every literal event name the code logs: spdlog::LEVEL("name.word …") and
// spdlog::log(level, "name.word …"), across lines. Names built at run time ("platform.{}")
// are listed by their forms in the doc and are not checked here.
std::set<std::string> logged_events() {
  namespace fs = std::filesystem;
  static const std::regex call(
      R"re(spdlog::(?:trace|debug|info|warn|error|critical|log)\(\s*(?:[A-Za-z_:]+,\s*)?"([a-z_]+\.[a-z_]+)[ ":])re");
  std::set<std::string> names;
  for (const char* layer : {"base", "config", "storage", "daemon"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(BSCHED_SOURCE_DIR) / layer)) {
      auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      auto text = test::read_text(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) {
        names.insert((*it)[1].str());
      }
    }
  }
  return names;
}


// Bash completion (scripts/boomi-sched.bash): commands, each command's flags and the job
// names of the configuration, completed by a real bash against the real binary; and
// `cmake --install` puts the script where bash-completion finds it.

// What bash offers for the words of `line` (the last one being completed), one a line, sorted.
std::string complete(const ConfigTempDir& dir, const std::string& line) {
  auto bin_dir = std::filesystem::path(BSCHED_BINARY).parent_path().string();
  auto script = std::string(BSCHED_SOURCE_DIR) + "/scripts/boomi-sched.bash";
  dir.write("complete.sh",
            "source '" + script + "'\n"
            "COMP_WORDS=(" + line + ")\n"
            "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
            "_boomi_sched\n"
            "printf '%s\\n' \"${COMPREPLY[@]}\" | sort\n");
  auto r = test::run_command("env PATH='" + bin_dir + ":/usr/bin:/bin' bash '" +
                                 (dir.path() / "complete.sh").string() + "'",
                             dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}


}  // namespace

TEST_SUITE("cli::next") {
  // `next --from` lists instants at or after --from, fractions of a second included: a --from
  // past a whole second never lists that second.
  TEST_CASE("next --from with a fraction of a second starts at the next whole slot") {
    ConfigTempDir dir;
    CHECK(first_utc(dir, "--expr '*/1 * * * * *' --from 2025-01-01T00:00:09.151Z") ==
          "2025-01-01T00:00:10Z");
    CHECK(first_utc(dir, "--expr '0 10 * * *' --from 2018-01-02T10:00:00.0005Z") ==
          "2018-01-03T10:00:00Z");
    CHECK(first_utc(dir, "--expr '@every 15m' --from 2012-07-09T14:45:00.005Z") ==
          "2012-07-09T15:00:00Z");
    // A comma is a decimal mark too; an offset keeps its meaning.
    CHECK(first_utc(dir, "--expr '*/1 * * * * *' --from 2025-01-01T01:00:09,5+01:00") ==
          "2025-01-01T00:00:10Z");
  }

  TEST_CASE("next --from on a whole second, or with a zero fraction, includes that second") {
    ConfigTempDir dir;
    CHECK(first_utc(dir, "--expr '*/1 * * * * *' --from 2025-01-01T00:00:09Z") ==
          "2025-01-01T00:00:09Z");
    CHECK(first_utc(dir, "--expr '*/1 * * * * *' --from 2025-01-01T00:00:09.000Z") ==
          "2025-01-01T00:00:09Z");
    CHECK(first_utc(dir, "--expr '0 10 * * *' --from 2018-01-02T10:00:00Z") ==
          "2018-01-02T10:00:00Z");
  }
}

TEST_SUITE("cli::messages") {
  // Messages that must not mislead: an unknown command is named and the commands listed; a
  // job neither configured nor recorded is an error for `history`; `next --tz` defaults to UTC,
  // as its help and the man page say.
  TEST_CASE("an unknown command is named and every command listed") {
    ConfigTempDir dir;
    auto r = bin(dir, "bogus");
    CHECK(r.exit_code == 2);
    CHECK(r.out == "");
    CHECK(r.err.starts_with("boomi-sched: unknown command 'bogus'\ncommands:\n"));
    for (const char* name : {"run", "validate", "next", "status", "history", "trigger", "pause",
                             "resume", "exec", "sim"}) {
      CAPTURE(name);
      CHECK(r.err.find(std::string("\n  ") + name + " ") != std::string::npos);
    }
    // Hostile text is shown escaped, never as terminal control.
    auto hostile = bin(dir, "\"$(printf '\\033[2J')\"");
    CHECK(hostile.exit_code == 2);
    CHECK(hostile.err.find('\033') == std::string::npos);
    // Known commands and flags still parse.
    CHECK(bin(dir, "--version").exit_code == 0);
    CHECK(bin(dir, "status --help").exit_code == 0);
  }

  TEST_CASE("history of a job neither configured nor recorded is an error listing the jobs") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, cli_job("alpha", "0 10 * * *") +
                                                cli_job("beta", "0 11 * * *"));
    auto r = run_cli(dir, config, "history nosuch");
    CHECK(r.exit_code == 1);
    CHECK(r.err == "history: no job 'nosuch' in the configuration or in the history (jobs: "
                   "alpha, beta)\n");
    // A configured job without runs is fine, and so is one only the history knows.
    CHECK(run_cli(dir, config, "history alpha").exit_code == 0);
    {
      auto store = bsched::storage::SqliteRunStore::open((dir.path() / "state.db").string());
      REQUIRE(store.has_value());
      bsched::storage::NewRun run{"r-1", "retired", bsched::storage::Trigger::manual,
                                  std::chrono::sys_seconds(std::chrono::seconds(1700000000)), "{}"};
      REQUIRE((*store)->create_run(run, bsched::SysMillis(std::chrono::seconds(1700000000)))
                  .has_value());
    }
    auto retired = run_cli(dir, config, "history retired");
    CHECK(retired.exit_code == 0);
    CHECK(retired.out.find("retired  SCHEDULED") != std::string::npos);
    CHECK(run_cli(dir, config, "history nosuch").err.find("(jobs: alpha, beta, retired)") !=
          std::string::npos);
  }

  TEST_CASE("next --expr without --tz is UTC whatever the host's zone, and the docs say so") {
    ConfigTempDir dir;
    auto r = bin(dir, "next --expr '0 10 * * *' --from 2026-06-01T00:00:00Z --count 1");
    auto ny = test::run_command("env TZ=America/New_York '" + std::string(BSCHED_BINARY) +
                                    "' next --expr '0 10 * * *' --from 2026-06-01T00:00:00Z "
                                    "--count 1",
                                dir);
    CHECK(r.out == "Mon 2026-06-01 10:00:00 UTC  2026-06-01T10:00:00Z\n");
    CHECK(ny.out == r.out);
    auto help = bin(dir, "next --help");
    CHECK(help.out.find("IANA zone of --expr (default: UTC)") != std::string::npos);
    auto man = test::read_text(std::string(BSCHED_SOURCE_DIR) + "/docs/boomi-sched.1");
    CHECK(man.find("default the host's zone), in UTC") == std::string::npos);
    CHECK(man.find("default UTC") != std::string::npos);
  }
}

TEST_SUITE("cli::validate") {
  // `validate` reports every error at once and where it is: a bad inherited zone does not hide
  // the schedule errors of the jobs that use it, a missing space_guid points at `api:`, and
  // the summary counts errors by the file they are in.
  TEST_CASE("a bad inherited timezone does not hide the schedule errors of its jobs") {
    ConfigTempDir dir;
    auto config = write_offline_config(
        dir, cli_job("a", "61 * * * *") + cli_job("b", "* * * 13 *") + cli_job("c", "0 1 * * *"),
        "  timezone: Mars/Olympus_Mons\n");
    auto r = validate(dir, config);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    auto jobs = (dir.path() / "jobs.d/jobs.yaml").string();
    CHECK(r.err.find(config + ":9:13: defaults.timezone: ") != std::string::npos);
    CHECK(r.err.find(jobs + ":3:16: jobs.a.schedule: ") != std::string::npos);
    CHECK(r.err.find(jobs + ":") != r.err.rfind(jobs + ":"));  // b's error too
    CHECK(r.err.find("jobs.b.schedule: ") != std::string::npos);
    CHECK(r.err.find("jobs.c.schedule") == std::string::npos);
    CHECK(r.err.find("validate: 3 errors: 1 in " + config + ", 2 in " + jobs + "\n") !=
          std::string::npos);
  }

  TEST_CASE("api graphql without space_guid points at the api line") {
    ConfigTempDir dir;
    dir.write("jobs.d/jobs.yaml", "jobs:\n" + cli_job("a", "0 1 * * *"));
    auto config = dir.write("boomi-sched.yaml",
                            "platform:\n  account_id: sim-account\n"
                            "  username: BOOMI_TOKEN.sim@example.com\n"
                            "  token_env: X\n"
                            "  api: graphql\n");
    auto r = validate(dir, config);
    CHECK(r.err == config + ":5:3: platform: api graphql needs space_guid\n"
                            "validate: 1 error in " + config + "\n");
  }

  TEST_CASE("errors all in one file are summed up with that file's name") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, cli_job("a", "61 * * * *"));
    auto r = validate(dir, config);
    CHECK(r.err.ends_with("validate: 1 error in " + (dir.path() / "jobs.d/jobs.yaml").string() +
                          "\n"));
  }
}

TEST_SUITE("cli::events") {
  // docs/events.md lists every event the code logs, and an event is one line of the log: the
  // refusal of a damaged state database included.
  TEST_CASE("docs/events.md names every event the code logs") {
    auto doc = test::read_text(std::string(BSCHED_SOURCE_DIR) + "/docs/events.md");
    auto names = logged_events();
    CHECK(names.size() > 40);  // the scan finds the code's events at all
    CHECK(names.count("daemon.start_failed") == 1);
    CHECK(names.count("config.reload_failed") == 1);
    for (const auto& name : names) {
      CAPTURE(name);
      CHECK(doc.find("`" + name + "`") != std::string::npos);
    }
  }

  TEST_CASE("a damaged state database is refused in one short line") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, cli_job("a", "0 10 * * *"));
    auto db = (dir.path() / "state.db").string();
    {
      auto store = bsched::storage::SqliteRunStore::open(db);
      REQUIRE(store.has_value());
      for (int i = 0; i < 200; ++i) {
        bsched::storage::NewRun run{"r-" + std::to_string(i), "a",
                                    bsched::storage::Trigger::manual,
                                    std::chrono::sys_seconds(std::chrono::seconds(1700000000 + i)),
                                    "{}"};
        REQUIRE((*store)->create_run(run, bsched::SysMillis(std::chrono::seconds(1700000000)))
                    .has_value());
      }
    }
    {
      std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
      f.seekp(4096);
      std::string junk(4096 * 3, '\xff');
      f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    auto r = bin(dir, "run --config '" + config + "'");
    INFO(r.err);
    CHECK(r.exit_code == 1);
    std::string failed;
    int lines = 0;
    for (size_t at = 0; at < r.err.size();) {
      auto end = r.err.find('\n', at);
      auto line = r.err.substr(at, end - at);
      ++lines;
      if (line.find("daemon.start_failed") != std::string::npos) failed = line;
      at = end == std::string::npos ? r.err.size() : end + 1;
    }
    REQUIRE(!failed.empty());
    CHECK(lines == 2);  // daemon.starting, daemon.start_failed
    CHECK(failed.find("the database is damaged (") != std::string::npos);
    CHECK(failed.find("\\n") == std::string::npos);  // no escaped line breaks either
    CHECK(failed.find("*** in database") == std::string::npos);
    CHECK(failed.size() < 400);
  }
}

TEST_SUITE("cli::permissions") {
  // A state database this user may not open: the message names the file, the user and what
  // to do, instead of SQLite's "unable to open database file". Needs root, to run the binary
  // as another user (nobody); skipped otherwise.
  TEST_CASE("a database the user cannot read is named with its owner and the way out") {
    if (::geteuid() != 0) {
      MESSAGE("skipped: needs root to run the command as another user");
      return;
    }
    ConfigTempDir dir;
    auto as_nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups '" +
                     std::string(BSCHED_BINARY) + "' ";
    if (test::run_command(as_nobody + "--version", dir).exit_code != 0) {
      MESSAGE("skipped: user nobody cannot run the binary where it was built");
      return;
    }
    auto config = write_offline_config(dir, cli_job("a", "0 10 * * *"));
    auto db = (dir.path() / "state.db").string();
    REQUIRE(bsched::storage::SqliteRunStore::open(db).has_value());  // root's, mode 0600
    ::chmod(dir.path().c_str(), 0755);
    ::chmod(config.c_str(), 0644);
    ::chmod((dir.path() / "jobs.d").c_str(), 0755);
    ::chmod((dir.path() / "jobs.d/jobs.yaml").c_str(), 0644);
    for (const char* cmd : {"status", "history", "pause a"}) {
      CAPTURE(cmd);
      auto r = test::run_command(as_nobody + cmd + " --config '" + config + "'", dir);
      CHECK(r.exit_code == 1);
      CHECK(r.err.find("unable to open database file") == std::string::npos);
      CHECK(r.err.find("permission denied: user nobody cannot ") != std::string::npos);
      CHECK(r.err.find(db + " (owned by root, mode 0600)") != std::string::npos);
      CHECK(r.err.find("sudo -u root boomi-sched ") != std::string::npos);
    }
  }
}

TEST_SUITE("cli::completion") {
  // Bash completion (scripts/boomi-sched.bash): commands, each command's flags and the job
  // names of the configuration, completed by a real bash against the real binary; and
  // `cmake --install` puts the script where bash-completion finds it.
  TEST_CASE("bash completes commands, flags and the configuration's job names") {
    ConfigTempDir dir;
    auto config = write_offline_config(dir, cli_job("orders-sync", "0 10 * * *") +
                                                cli_job("orders-export", "0 11 * * *") +
                                                cli_job("inventory", "0 12 * * *"));
    CHECK(complete(dir, "boomi-sched sta") == "status\n");
    CHECK(complete(dir, "boomi-sched store c") == "copy\n");
    CHECK(complete(dir, "boomi-sched store copy --f") == "--force\n--from\n");
    auto all = complete(dir, "boomi-sched ''");
    for (const char* c : {"run\n", "validate\n", "next\n", "history\n", "trigger\n", "exec\n"}) {
      CHECK(all.find(c) != std::string::npos);
    }
    CHECK(all.find("__complete") == std::string::npos);
    CHECK(complete(dir, "boomi-sched status --") == "--config\n--help\n--json\n--wide\n");
    CHECK(complete(dir, "boomi-sched run --l") == "--log-level\n");
    CHECK(complete(dir, "boomi-sched trigger --config '" + config + "' orders") ==
          "orders-export\norders-sync\n");
    CHECK(complete(dir, "boomi-sched history --config '" + config + "' inv") == "inventory\n");
    // A configuration that does not load completes nothing, silently.
    CHECK(complete(dir, "boomi-sched pause --config /nonexistent.yaml o") == "\n");
  }

  TEST_CASE("cmake --install puts the completion where bash-completion looks") {
    ConfigTempDir dir;
    auto build = std::filesystem::path(BSCHED_BINARY).parent_path().string();
    auto r = test::run_command("env DESTDIR='" + (dir.path() / "root").string() +
                                   "' cmake --install '" + build + "' --prefix /usr",
                               dir);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    auto installed = dir.path() / "root/usr/share/bash-completion/completions/boomi-sched";
    REQUIRE(std::filesystem::exists(installed));
    CHECK(test::read_text(installed).find("complete -F _boomi_sched boomi-sched") !=
          std::string::npos);
  }
}
