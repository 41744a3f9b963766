// The command line on a PostgreSQL store (storage.postgres, docs/ha.md): pause, resume,
// trigger, status and history read and write the private cluster's database, a daemon that
// cannot reach it stops at start, and no output shows the connection string's password.
#include "tests/cli/cli_support.h"
#include "tests/storage/pg_store_test_util.h"

#include <doctest/doctest.h>

#include <string>

using namespace bsched;
using namespace bsched::clitest;

namespace {

std::string write_pg_config(const ConfigTempDir& dir, const std::string& conninfo) {
  auto path = write_offline_config(dir, cli_job("nightly", "0 2 * * *"));
  std::string text = test::read_text(path);
  auto at = text.find("storage:\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 9, "  postgres: \"" + conninfo + "\"\n");
  return dir.write("boomi-sched.yaml", text);
}

}  // namespace

TEST_SUITE("cli::postgres") {
  TEST_CASE("pause, trigger, resume, status and history work on the PostgreSQL store") {
    ConfigTempDir dir;
    const auto conninfo = test::pg_test_database("cli");
    // The cluster trusts local connections: the password is never asked for, only carried.
    auto config = write_pg_config(dir, conninfo + " password=pw-never-shown");

    auto paused = run_cli(dir, config, "pause nightly --note maintenance");
    INFO(paused.out << paused.err);
    REQUIRE(paused.exit_code == 0);
    auto status = status_json(dir, config);
    CHECK(job_of(status, "nightly").at("paused").as_bool());
    REQUIRE(run_cli(dir, config, "trigger nightly").exit_code == 0);
    REQUIRE(run_cli(dir, config, "resume nightly").exit_code == 0);
    CHECK_FALSE(job_of(status_json(dir, config), "nightly").at("paused").as_bool());
    auto history = run_cli(dir, config, "history nightly");
    CHECK(history.exit_code == 0);

    // What the commands wrote is in PostgreSQL, not in a SQLite file.
    auto store = test::pg_store(conninfo);
    auto commands = store->take_commands(SysMillis{});
    REQUIRE(commands.has_value());
    REQUIRE(commands->size() == 3);
    CHECK((*commands)[0].kind == storage::CommandKind::pause);
    CHECK((*commands)[1].kind == storage::CommandKind::trigger);
    CHECK((*commands)[2].kind == storage::CommandKind::resume);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "state.db"));
    for (const auto& out : {paused.out, paused.err, history.out, history.err}) {
      CHECK(out.find("pw-never-shown") == std::string::npos);
    }
  }

  TEST_CASE("an unreachable PostgreSQL store is named by server, never by password") {
    ConfigTempDir dir;
    auto config = write_pg_config(
        dir, "host=127.0.0.1 port=9 dbname=x user=y password=pw-never-shown connect_timeout=2");
    auto r = run_cli(dir, config, "status");
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
    CHECK(r.err.find("pw-never-shown") == std::string::npos);
    CHECK(r.out.find("pw-never-shown") == std::string::npos);
  }

  TEST_CASE("the daemon on an unreachable storage.postgres stops at start, naming the server "
            "and never the password") {
    ConfigTempDir dir;
    auto config = write_pg_config(dir, "host=/nonexistent dbname=x user=y password=pw-never-shown");
    auto r = run_cli(dir, config, "run");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot use storage.postgres") != std::string::npos);
    CHECK(r.err.find("dbname=x") != std::string::npos);
    CHECK(r.err.find("pw-never-shown") == std::string::npos);
    CHECK(r.out.find("pw-never-shown") == std::string::npos);
  }
}
