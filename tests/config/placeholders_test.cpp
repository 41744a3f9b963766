#include "config/placeholders.h"

#include "base/time_util.h"

#include <doctest/doctest.h>

using namespace bsched;
using namespace bsched::config;

namespace {

PlaceholderContext context() {
  PlaceholderContext c;
  c.job = "nightly-orders";
  c.run_id = "812";
  c.scheduled = *parse_instant("2026-03-29T01:30:00Z");
  c.zone = *find_zone("Europe/Berlin");
  return c;
}

}  // namespace

TEST_SUITE("config::placeholders") {
  TEST_CASE("every placeholder expands from the run's context") {
    auto c = context();
    CHECK(expand_placeholders("${job}/${run_id}", c) == "nightly-orders/812");
    CHECK(expand_placeholders("${scheduled_time}", c) == "2026-03-29T01:30:00Z");
    CHECK(expand_placeholders("${scheduled_local}", c) == "2026-03-29T03:30:00+02:00");
    CHECK(expand_placeholders("from ${last_success_time}.", c) == "from .");
    c.last_success = *parse_instant("2026-03-28T01:30:00Z");
    CHECK(expand_placeholders("${last_success_time}", c) == "2026-03-28T01:30:00Z");
  }

  TEST_CASE("a default replaces an empty value and may itself hold placeholders") {
    auto c = context();
    CHECK(expand_placeholders("${last_success_time:-1970-01-01}", c) == "1970-01-01");
    CHECK(expand_placeholders("${last_success_time:-${scheduled_time}}", c) ==
          "2026-03-29T01:30:00Z");
    CHECK(expand_placeholders("${job:-unused}", c) == "nightly-orders");
    CHECK(expand_placeholders("${last_success_time:-}", c) == "");
  }

  TEST_CASE("$$ is a literal dollar and a lone dollar stays as written") {
    auto c = context();
    CHECK(expand_placeholders("$${job}", c) == "${job}");
    CHECK(expand_placeholders("cost $5 and $", c) == "cost $5 and $");
    CHECK(expand_placeholders("a$$b", c) == "a$b");
    CHECK(check_placeholders("price: $10, ${job} $$").has_value());
  }

  TEST_CASE("a null zone expands the local time in UTC") {
    auto c = context();
    c.zone = nullptr;
    CHECK(expand_placeholders("${scheduled_local}", c) == "2026-03-29T01:30:00+00:00");
  }

  TEST_CASE("unknown placeholders are reported at the dollar sign with a suggestion") {
    auto r = check_placeholders("from ${last_sucess_time}");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().offset == 5);
    CHECK(r.error().message ==
          "unknown placeholder '${last_sucess_time}'; did you mean '${last_success_time}'? "
          "(known: ${job}, ${run_id}, ${scheduled_time}, ${scheduled_local}, "
          "${last_success_time})");
  }

  TEST_CASE("malformed placeholders are reported with their offset") {
    struct Case {
      const char* value;
      int offset;
      const char* message;
    };
    const Case cases[] = {
        {"x ${", 2, "unterminated placeholder '${' (missing '}')"},
        {"${job", 0, "unterminated placeholder '${job' (missing '}')"},
        {"a${}", 1, "empty placeholder '${}'"},
        {"${1x}", 0, "a placeholder name must start with a letter or '_'"},
        {"${job:x}", 5, "expected '}' or ':-' after '${job'"},
        {"${job:-abc", 0, "unterminated placeholder '${job:-' (missing '}')"},
        {"${job:-${nope}}", 7, "unknown placeholder '${nope}' (known: ${job}, ${run_id}, "
                               "${scheduled_time}, ${scheduled_local}, ${last_success_time})"},
    };
    for (const auto& c : cases) {
      CAPTURE(c.value);
      auto r = check_placeholders(c.value);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().offset == c.offset);
      CHECK(r.error().message == c.message);
    }
  }

  TEST_CASE("deeply nested defaults are refused instead of recursing without bound") {
    std::string v;
    for (int i = 0; i < 20; ++i) v += "${job:-";
    v += std::string(20, '}');
    auto r = check_placeholders(v);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().message == "placeholders nested too deeply");
    CHECK(check_placeholders("${job:-${job:-${job}}}").has_value());
  }

  TEST_CASE("a value that failed the check is expanded as written") {
    CHECK(expand_placeholders("${nope}", context()) == "${nope}");
  }
}
