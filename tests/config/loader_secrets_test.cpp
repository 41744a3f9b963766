// Secrets in the loader: a token_env variable leaves the environment once read (the daemon),
// and no message quotes a value that looks like a token.
#include "config/loader.h"
#include "config/secret_text.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using namespace bsched::config;
using bsched::test::ScopedEnv;

namespace {

std::string config_with(const std::string& platform_extra) {
  return "platform:\n  account_id: a\n  username: u\n" + platform_extra +
         "jobs:\n  j:\n    schedule: \"0 * * * *\"\n    process_id: p\n    atom_id: a\n";
}

std::string messages(const bsched::Result<Loaded, std::vector<Diagnostic>>& r) {
  std::string out;
  if (!r)
    for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

const std::string k_token = "Zq8v0Rk2Lm4Np6Tx9Wb1Yc3Hd5Jf7Gs";  // random letters and digits

}  // namespace

TEST_SUITE("config::secrets") {
  // The token stayed in the daemon's environment: /proc/PID/environ and every child showed it.
  TEST_CASE("a token_env variable is removed from the environment once read and kept for "
            "reloads") {
    ScopedEnv env("BSCHED_TEST_SECRET_TOKEN", k_token);
    EnvTokens kept;
    LoadOptions options{.env_tokens = &kept};
    auto text = config_with("  token_env: BSCHED_TEST_SECRET_TOKEN\n");
    auto first = load_config_from_sources({{"main.yaml", text}}, options);
    REQUIRE(first.has_value());
    CHECK(first->config->platform.token.reveal() == k_token);
    CHECK(std::getenv("BSCHED_TEST_SECRET_TOKEN") == nullptr);
    auto reload = load_config_from_sources({{"main.yaml", text}}, options);
    REQUIRE(reload.has_value());
    CHECK(reload->config->platform.token.reveal() == k_token);
  }

  TEST_CASE("without a place to keep it, a token_env variable stays for the next command") {
    ScopedEnv env("BSCHED_TEST_SECRET_TOKEN", k_token);
    auto text = config_with("  token_env: BSCHED_TEST_SECRET_TOKEN\n");
    REQUIRE(load_config_from_sources({{"main.yaml", text}}).has_value());
    CHECK(std::getenv("BSCHED_TEST_SECRET_TOKEN") != nullptr);
  }

  // An operator who pasted the token where the variable's name belongs got it echoed back.
  TEST_CASE("a token pasted as token_env's value is not echoed in the error") {
    auto r = load_config_from_sources(
        {{"main.yaml", config_with("  token_env: 0" + k_token + "\n")}}, {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    auto all = messages(r);
    CHECK(all.find(k_token) == std::string::npos);
    CHECK(all.find("platform.token_env: must name an environment variable") != std::string::npos);
  }

  TEST_CASE("a token-like value quoted by an error message is hidden") {
    auto r = load_config_from_sources({{"main.yaml", config_with("  token_env: T\n  api: " +
                                                                 k_token + "\n")}},
                                      {.read_secret = false});
    REQUIRE_FALSE(r.has_value());
    auto all = messages(r);
    CHECK(all.find(k_token) == std::string::npos);
    CHECK(all.find("platform.api: '<hidden: it looks like a token>' is not one of rest, graphql") !=
          std::string::npos);
    const std::string jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig";
    auto j = load_config_from_sources({{"main.yaml", config_with("  token_env: T\n  timeout: " +
                                                                 jwt + "\n")}},
                                      {.read_secret = false});
    CHECK(messages(j).find(jwt) == std::string::npos);
  }

  TEST_CASE("ordinary values in messages are still quoted") {
    CHECK(looks_like_secret("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"));
    CHECK(looks_like_secret(k_token));
    CHECK_FALSE(looks_like_secret("graphq"));
    CHECK_FALSE(looks_like_secret("/etc/boomi-sched/credentials/boomi-token"));
    CHECK_FALSE(looks_like_secret("nightly-orders-export-2024"));
    CHECK_FALSE(looks_like_secret("https://api.boomi.com/api/rest/v1"));
    CHECK_FALSE(looks_like_secret("a-name-that-is-much-too-long-for-a-job-because-it-has-64"));
    CHECK_FALSE(looks_like_secret("dynamicPropertiesForNightlyOrders2024"));
    CHECK(looks_like_secret("6e79aead-40d4-4a35-9037-4370a86cc2f1"));
  }
}
