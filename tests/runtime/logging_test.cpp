// Log set-up: level names, the environment fallback, journald detection and priorities.
#include "daemon/runtime/logging.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fmt/core.h>

using namespace bsched::runtime;
using bsched::test::ScopedEnv;

TEST_SUITE("runtime::logging") {
  TEST_CASE("log levels are read in any case, warning and warn alike") {
    CHECK(parse_log_level("DEBUG").value() == spdlog::level::debug);
    CHECK(parse_log_level("warning").value() == spdlog::level::warn);
    CHECK(parse_log_level("warn").value() == spdlog::level::warn);
    CHECK(parse_log_level("error").value() == spdlog::level::err);
    auto bad = parse_log_level("loud");
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().message.find("unknown log level 'loud'") == 0);
  }

  TEST_CASE("the flag wins over BOOMI_SCHED_LOG_LEVEL, which wins over info") {
    {
      ScopedEnv env("BOOMI_SCHED_LOG_LEVEL", std::nullopt);
      CHECK(resolve_log_level(std::nullopt).value() == spdlog::level::info);
    }
    ScopedEnv env("BOOMI_SCHED_LOG_LEVEL", std::string("debug"));
    CHECK(resolve_log_level(std::nullopt).value() == spdlog::level::debug);
    CHECK(resolve_log_level(std::string("error")).value() == spdlog::level::err);
    ScopedEnv bad("BOOMI_SCHED_LOG_LEVEL", std::string("chatty"));
    auto r = resolve_log_level(std::nullopt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message.find("BOOMI_SCHED_LOG_LEVEL: unknown log level") == 0);
  }

  TEST_CASE("levels map to the syslog priorities journald filters on") {
    CHECK(syslog_priority(spdlog::level::debug) == 7);
    CHECK(syslog_priority(spdlog::level::info) == 6);
    CHECK(syslog_priority(spdlog::level::warn) == 4);
    CHECK(syslog_priority(spdlog::level::err) == 3);
    CHECK(syslog_priority(spdlog::level::critical) == 2);
  }

  TEST_CASE("stderr counts as journald only when JOURNAL_STREAM names stderr itself") {
    struct stat st{};
    REQUIRE(::fstat(2, &st) == 0);
    {
      ScopedEnv env("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino));
      CHECK(stderr_is_journal());
    }
    {
      ScopedEnv env("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino + 1));
      CHECK_FALSE(stderr_is_journal());
    }
    ScopedEnv env("JOURNAL_STREAM", std::nullopt);
    CHECK_FALSE(stderr_is_journal());
  }
}
