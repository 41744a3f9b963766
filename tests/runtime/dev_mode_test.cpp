// `run --dev`: the generated configuration loads, points at the simulator, needs no secret
// file, and its directory goes away.
#include "daemon/runtime/dev_mode.h"
#include "tests/support/config_test_util.h"

#include "config/loader.h"

#include <doctest/doctest.h>

#include <filesystem>

using namespace bsched::runtime;
using bsched::test::ScopedEnv;
namespace fs = std::filesystem;

TEST_SUITE("runtime::dev_mode") {
  TEST_CASE("the dev directory holds a configuration that loads and points at the simulator") {
    ScopedEnv token(k_dev_token_env, std::string("sim-token"));
    DevPlatform p{"http://127.0.0.1:40123/api/rest/v1", "sim-account", "BOOMI_TOKEN.sim@example.com"};
    fs::path root;
    {
      auto dir = DevDirectory::create(p);
      REQUIRE(dir.has_value());
      root = dir->root();
      CHECK(fs::exists(root / "jobs.d" / "demo.yaml"));
      auto loaded = bsched::config::load_config(dir->config_path());
      REQUIRE(loaded.has_value());
      const auto& c = *loaded->config;
      CHECK(c.platform.account_base() == "http://127.0.0.1:40123/api/rest/v1/sim-account");
      CHECK(c.platform.token.reveal() == "sim-token");
      CHECK(c.storage.path == dir->db_path());
      REQUIRE(c.jobs.size() >= 4);
      for (const auto& job : c.jobs) {
        REQUIRE(job.schedules.size() == 1);
        // Seconds-first expressions, so runs come every few seconds.
        CHECK(std::count(job.schedules[0].text().begin(), job.schedules[0].text().end(), ' ') == 5);
      }
      auto banner = dev_banner(*dir, p.base_url);
      CHECK(banner.find(dir->config_path()) != std::string::npos);
      CHECK(banner.find("\n  boomi-sched status\n") != std::string::npos);
    }
    CHECK_FALSE(fs::exists(root));
  }

  TEST_CASE("the dev configuration never contains the token") {
    DevPlatform p{"http://127.0.0.1:1/api/rest/v1", "sim-account", "u"};
    auto text = dev_main_yaml(p, "/tmp/x.db");
    CHECK(text.find("token_env: BOOMI_SCHED_DEV_TOKEN") != std::string::npos);
    CHECK(text.find(dev_sim_options().token) == std::string::npos);
  }

  TEST_CASE("the dev simulator fails one job always, slows one, and completes the rest") {
    auto o = dev_sim_options();
    CHECK(o.outcomes.error == 0);
    CHECK(o.outcomes.complete > 0);
    REQUIRE(o.process_outcomes.size() == 1);
    CHECK(o.process_outcomes.begin()->second.error > 0);
    CHECK(o.process_outcomes.begin()->second.complete == 0);
    REQUIRE(o.process_durations.size() == 1);
    CHECK(o.process_durations.begin()->second > o.run_duration);
    // Both belong to demo jobs.
    auto jobs = dev_jobs_yaml();
    CHECK(jobs.find(o.process_outcomes.begin()->first) != std::string::npos);
    CHECK(jobs.find(o.process_durations.begin()->first) != std::string::npos);
    CHECK(o.port == 0);
    CHECK(o.listen_address == "127.0.0.1");
  }
}
