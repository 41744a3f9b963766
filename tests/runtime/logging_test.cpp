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

TEST_SUITE("runtime::logging") {
  TEST_CASE("a message carrying a newline or terminal escapes stays one escaped line") {
    for (bool journal : {false, true}) {
      CAPTURE(journal);
      auto formatter = bsched::runtime::make_log_formatter(journal);
      std::string payload =
          "run.finished message=\"x\n2026-12-06T05:00:00Z info run.finished job=y\x1b[2J\"";
      spdlog::details::log_msg msg("boomi-sched", spdlog::level::warn, payload);
      spdlog::memory_buf_t out;
      formatter->format(msg, out);
      std::string line(out.data(), out.size());
      REQUIRE(!line.empty());
      CHECK(line.find('\n') == line.size() - 1);  // only the line's own end
      CHECK(line.find('\x1b') == std::string::npos);
      CHECK(line.find("x\\n2026-12-06T05:00:00Z info run.finished job=y\\x1b[2J\"") !=
            std::string::npos);
    }
  }
}
