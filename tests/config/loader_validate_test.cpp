// `boomi-sched validate` run as a real process against temporary configurations.
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <string>

using bsched::test::CommandOutput;
using bsched::test::ConfigTempDir;

namespace {

const std::string k_secret = "tok-9f8e7d6c-DO-NOT-PRINT";

const std::string k_job =
    "  nightly:\n"
    "    schedule: \"30 2 * * *\"\n"
    "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
    "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n"
    "    timezone: America/New_York\n";

// A configuration in `dir` whose token file holds k_secret; returns the main file's path.
std::string write_config(const ConfigTempDir& dir, const std::string& jobs = k_job) {
  auto token = dir.write("token", k_secret + "\n");
  ::chmod(token.c_str(), 0600);
  dir.write("jobs.d/extra.yaml", "jobs:\n  extra:\n    schedule: '@hourly'\n"
                                 "    process_id: 6e79aead-40d4-4a35-9037-4370a86cc2f1\n"
                                 "    atom_id: 8fa55714-8e5e-45f1-a0d1-f57f2000f464\n");
  return dir.write("boomi-sched.yaml",
                   "platform:\n"
                   "  account_id: acme-AB12CD\n"
                   "  username: BOOMI_TOKEN.ops@acme.example\n"
                   "  token_file: token\n"
                   "jobs:\n" +
                       jobs);
}

CommandOutput validate(const ConfigTempDir& dir, const std::string& args) {
  return bsched::test::run_command(std::string("'") + BSCHED_BINARY + "' validate " + args, dir);
}

}  // namespace

TEST_SUITE("config::validate") {
  TEST_CASE("validate prints a one-line summary and exits 0") {
    ConfigTempDir dir;
    auto main = write_config(dir);
    auto r = validate(dir, "--config '" + main + "'");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok: 2 jobs in 2 files\n");
    CHECK(r.err == "");
  }

  TEST_CASE("validate --verbose lists each job's next fire instant") {
    ConfigTempDir dir;
    auto main = write_config(dir);
    auto r = validate(dir, "--verbose --config '" + main + "'");
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("ok: 2 jobs in 2 files\n  extra  next "));
    CHECK(r.out.find("\n  nightly  next ") != std::string::npos);
    CHECK(r.out.find("America/New_York)") != std::string::npos);
  }

  TEST_CASE("validate takes the file from BOOMI_SCHED_CONFIG") {
    ConfigTempDir dir;
    auto main = write_config(dir);
    bsched::test::ScopedEnv env("BOOMI_SCHED_CONFIG", main);
    auto with_env = validate(dir, "");
    CHECK(with_env.exit_code == 0);
    CHECK(with_env.out == "ok: 2 jobs in 2 files\n");
  }

  TEST_CASE("validate exits 1 and prints every diagnostic to stderr") {
    ConfigTempDir dir;
    auto main = write_config(dir, k_job + "    overlap: sometimes\n    enabeld: true\n");
    auto r = validate(dir, "--config '" + main + "'");
    CHECK(r.exit_code == 1);
    CHECK(r.out == "");
    CHECK(r.err == main + ":11:14: jobs.nightly.overlap: 'sometimes' is not one of skip, allow, "
                          "queue\n" +
                       main + ":12:5: jobs.nightly: unknown key 'enabeld'; did you mean "
                              "'enabled'?\n"
                              "validate: 2 errors in " +
                       main + "\n");
  }

  TEST_CASE("validate of a missing file says which file and how to choose another") {
    ConfigTempDir dir;
    auto r = validate(dir, "--config '" + (dir.path() / "nope.yaml").string() + "'");
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("nope.yaml: cannot read the configuration file: No such file or directory "
                     "(give --config PATH or set BOOMI_SCHED_CONFIG)") != std::string::npos);
  }

  TEST_CASE("validate --no-secret accepts an unreadable token file") {
    ConfigTempDir dir;
    auto main = write_config(dir);
    std::filesystem::remove(dir.path() / "token");
    CHECK(validate(dir, "--config '" + main + "'").exit_code == 1);
    auto r = validate(dir, "--no-secret --config '" + main + "'");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok: 2 jobs in 2 files\n");
  }

  TEST_CASE("the token's value appears in no output of validate or validate --print") {
    ConfigTempDir dir;
    auto main = write_config(dir);
    std::string all;
    for (const char* args : {"", "--verbose", "--print", "--print --verbose"}) {
      auto r = validate(dir, std::string(args) + " --config '" + main + "'");
      CHECK(r.exit_code == 0);
      all += r.out + r.err;
    }
    CHECK(all.find("<redacted>") != std::string::npos);  // --print mentions it, redacted
    CHECK(all.find("token_file: \"" + (dir.path() / "token").string()) != std::string::npos);
    // A failing configuration with a readable token, and a token taken from the environment.
    auto bad = write_config(dir, k_job + "    poll: {initial: 1x}\n");
    all += validate(dir, "--config '" + bad + "'").err;
    auto env_main = dir.write("env/boomi-sched.yaml",
                              "platform:\n  account_id: a\n  username: u\n"
                              "  token_env: BSCHED_TEST_SECRET_TOKEN\njobs:\n" +
                                  k_job);
    bsched::test::ScopedEnv token("BSCHED_TEST_SECRET_TOKEN", k_secret);
    auto env_run = validate(dir, "--print --config '" + env_main + "'");
    CHECK(env_run.exit_code == 0);
    all += env_run.out + env_run.err;
    CHECK(all.find("is not a duration") != std::string::npos);
    CHECK(all.find(k_secret) == std::string::npos);
    CHECK(all.find("DO-NOT-PRINT") == std::string::npos);
  }

  TEST_CASE("the example configuration validates") {
    ConfigTempDir dir;
    auto example = std::string(BSCHED_SOURCE_DIR) + "/config/examples/boomi-sched.yaml";
    auto r = validate(dir, "--no-secret --config '" + example + "'");
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok: 4 jobs in 2 files\n");
    CHECK(r.err == "");
  }
}
