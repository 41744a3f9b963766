// Conversion of the platform's schedule rules into boomi-sched expressions: every syntax
// form, every case that has no equivalent, and a property test over a year of minutes.
#include "daemon/platform/schedule_convert.h"

#include "base/time_util.h"
#include "config/schedule.h"

#include <date/date.h>
#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>

using namespace bsched::platform;

namespace {

ScheduleRule rule(const char* minutes, const char* hours, const char* dow = "*",
                  const char* dom = "*", const char* months = "*", const char* years = "*") {
  return ScheduleRule{minutes, hours, dow, dom, months, years};
}

std::string converted(const ScheduleRule& r) {
  auto c = convert_rule(r);
  return c.ok() ? c.expression : "problem: " + c.problem;
}

// ---- an independent reading of the platform syntax, for the property test ----

// The values one platform field selects: items a, a-b, */n, a-b/n, a/n, '*'.
std::set<int> platform_values(const std::string& text, int lo, int hi) {
  std::set<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    auto item = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    int step = 1;
    bool stepped = false;
    if (auto slash = item.find('/'); slash != std::string::npos) {
      step = std::stoi(item.substr(slash + 1));
      item = item.substr(0, slash);
      stepped = true;
    }
    int a = lo, b = hi;
    if (item != "*") {
      auto dash = item.find('-');
      a = std::stoi(item.substr(0, dash));
      if (dash != std::string::npos) b = std::stoi(item.substr(dash + 1));
      else b = stepped ? hi : a;  // a/n runs to the field's end
    }
    for (int v = a; v <= b; v += step) out.insert(v);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// A random field of one of the syntax forms, values in [lo, hi].
std::string random_field(std::mt19937& rng, int lo, int hi) {
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  switch (pick(0, 6)) {
    case 0: return "*";
    case 1: return std::to_string(pick(lo, hi));
    case 2: {
      int a = pick(lo, hi);
      return std::to_string(a) + "-" + std::to_string(pick(a, hi));
    }
    case 3: return "*/" + std::to_string(pick(1, (hi - lo + 1) / 2 + 1));
    case 4: {
      int a = pick(lo, hi);
      return std::to_string(a) + "-" + std::to_string(pick(a, hi)) + "/" +
             std::to_string(pick(1, 5));
    }
    case 5: return std::to_string(pick(lo, hi)) + "," + std::to_string(pick(lo, hi));
    default: return std::to_string(pick(lo, hi)) + "/" + std::to_string(pick(1, 4));
  }
}

}  // namespace

TEST_SUITE("platform::schedule_convert") {
  TEST_CASE("every syntax form keeps its shape") {
    CHECK(converted(rule("0", "2")) == "0 2 * * *");
    CHECK(converted(rule("0-59/15", "8-17")) == "0-59/15 8-17 * * *");
    CHECK(converted(rule("*/15", "*")) == "*/15 * * * *");
    CHECK(converted(rule("5,35", "1,13-15")) == "5,35 1,13-15 * * *");
    CHECK(converted(rule("5/20", "0")) == "5-59/20 0 * * *");
    CHECK(converted(rule("0", "0", "*", "1,15")) == "0 0 1,15 * *");
    CHECK(converted(rule("0", "0", "*", "*/2")) == "0 0 */2 * *");
    CHECK(converted(rule("0", "6", "*", "*", "1-3,10")) == "0 6 * 1-3,10 *");
    CHECK(converted(rule(" 0 ", "1 , 2")) == "0 1,2 * * *");
  }

  TEST_CASE("days of the week shift from 1 = Sunday to 0 = Sunday") {
    CHECK(converted(rule("0", "9", "2-6")) == "0 9 * * 1-5");  // Monday to Friday
    CHECK(converted(rule("0", "9", "1")) == "0 9 * * 0");      // Sunday
    CHECK(converted(rule("0", "9", "7")) == "0 9 * * 6");      // Saturday
    CHECK(converted(rule("0", "9", "1,7")) == "0 9 * * 0,6");
    CHECK(converted(rule("0", "9", "1-7/2")) == "0 9 * * 0-6/2");
    CHECK(converted(rule("0", "9", "*/2")) == "0 9 * * */2");  // Sun, Tue, Thu, Sat both ways
    // a/n runs to Saturday (7), not to cron's 7 (another Sunday).
    CHECK(converted(rule("0", "9", "2/2")) == "0 9 * * 1-6/2");
    CHECK(converted(rule("0", "9", "mon-FRI")) == "0 9 * * 1-5");
    CHECK(converted(rule("0", "9", "SUN")) == "0 9 * * 0");
  }

  TEST_CASE("the converted days of the week fire on the same weekdays") {
    // 2027-01-04 is a Monday. Platform 2 = Monday.
    auto s = bsched::config::Schedule::parse(convert_rule(rule("0", "9", "2")).expression);
    REQUIRE(s.has_value());
    auto next = s->next_after(*bsched::parse_instant("2027-01-01T00:00:00Z"));
    REQUIRE(next);
    CHECK(bsched::format_utc(*next) == "2027-01-04T09:00:00Z");
  }

  TEST_CASE("a field that selects every value is written as a star") {
    CHECK(converted(rule("0-59", "0-23", "1-7", "1-31", "1-12")) == "* * * * *");
    CHECK(converted(rule("0", "0", "1-7", "15")) == "0 0 15 * *");
    CHECK(converted(rule("0", "0", "2", "1-31")) == "0 0 * * 1");
    CHECK(converted(rule("0", "0", "?", "15")) == "0 0 15 * *");
    CHECK(converted(rule("0", "0", "2", "?")) == "0 0 * * 1");
    CHECK(converted(rule("0", "0", "*", "*", "JAN-DEC")) == "0 0 * * *");
  }

  TEST_CASE("a step larger than its range keeps only the start") {
    CHECK(converted(rule("0/90", "0")) == "0 0 * * *");
    CHECK(converted(rule("*/60", "0")) == "0 0 * * *");
    CHECK(converted(rule("10-20/30", "0")) == "10 0 * * *");
  }

  TEST_CASE("an absent or empty field reads as a star and says so") {
    ScheduleRule r;
    r.minutes = "30";
    r.hours = "";
    auto c = convert_rule(r);
    REQUIRE(c.ok());
    CHECK(c.expression == "30 * * * *");
    CHECK(c.notes.size() == 5);
    CHECK(c.notes[0] == "years is absent; read as '*'");
  }

  TEST_CASE("a years restriction is reported, never dropped") {
    auto c = convert_rule(rule("0", "0", "*", "*", "*", "2027"));
    CHECK_FALSE(c.ok());
    CHECK(c.expression.empty());
    CHECK(c.problem == "years is restricted to '2027'; boomi-sched schedules have no year field");
    CHECK_FALSE(convert_rule(rule("0", "0", "*", "*", "*", "2026-2099")).ok());
  }

  TEST_CASE("day of month and day of week both restricted is reported") {
    auto c = convert_rule(rule("0", "0", "2", "1"));
    CHECK_FALSE(c.ok());
    CHECK(c.problem.find("both daysOfMonth and daysOfWeek are restricted") == 0);
    CHECK_FALSE(convert_rule(rule("0", "0", "2-6", "*/2")).ok());
  }

  TEST_CASE("forms outside the platform syntax are reported with the field") {
    struct Case {
      ScheduleRule r;
      const char* problem;
    };
    const Case cases[] = {
        {rule("60", "0"), "minutes has 60 outside 0-59"},
        {rule("0", "24"), "hours has 24 outside 0-23"},
        {rule("0", "0", "0"), "daysOfWeek has 0 outside 1-7"},
        {rule("0", "0", "8"), "daysOfWeek has 8 outside 1-7"},
        {rule("0", "0", "*", "0"), "daysOfMonth has 0 outside 1-31"},
        {rule("0", "0", "*", "*", "13"), "months has 13 outside 1-12"},
        {rule("0", "0", "*", "L"), "daysOfMonth has 'L', which is not a value of the platform's syntax"},
        {rule("0", "0", "6L"), "daysOfWeek has '6L', which is not a value of the platform's syntax"},
        {rule("0", "0", "2#1"), "daysOfWeek has '2#1', which is not a value of the platform's syntax"},
        {rule("0", "0", "*", "15W"), "daysOfMonth has '15W', which is not a value of the platform's syntax"},
        {rule("H", "0"), "minutes has 'H', which is not a value of the platform's syntax"},
        {rule("0", "0", "6-2"), "daysOfWeek has the reversed range '6-2'"},
        {rule("0,,5", "0"), "minutes has an empty list item"},
        {rule("0,", "0"), "minutes has an empty list item"},
        {rule("*/0", "0"), "minutes has step '0', which is not a positive number"},
        {rule("*/x", "0"), "minutes has step 'x', which is not a positive number"},
        {rule("*/-1", "0"), "minutes has step '-1', which is not a positive number"},
        {rule("?", "0"), "minutes has '?', which only day fields accept"},
        {rule("0", "0", "?/2"), "daysOfWeek has '?' with a step"},
        {rule("-1", "0"), "minutes has '-1', which is not a value of the platform's syntax"},
        {rule("99999999999999999999", "0"), "minutes has 99999999999999999999 outside 0-59"},
        {rule("1 2", "0"), "minutes has '1 2', which is not a value of the platform's syntax"},
        {rule("0", "0", "*", "*", "MON"), "months has 'MON', which is not a value of the platform's syntax"},
    };
    for (const auto& c : cases) {
      INFO(describe_rule(c.r));
      auto got = convert_rule(c.r);
      CHECK_FALSE(got.ok());
      CHECK(got.expression.empty());
      CHECK(got.problem == c.problem);
    }
  }

  TEST_CASE("a rule that can never fire is reported with the schedule engine's reason") {
    auto c = convert_rule(rule("0", "0", "*", "30", "2"));
    CHECK_FALSE(c.ok());
    CHECK(c.problem.find("it converts to '0 0 30 2 *', which boomi-sched rejects") == 0);
  }

  TEST_CASE("hostile field text stays bounded and printable in problems and descriptions") {
    std::string long_text(10000, '9');
    auto c = convert_rule(rule(long_text.c_str(), "0"));
    CHECK_FALSE(c.ok());
    CHECK(c.problem.size() < 200);
    ScheduleRule r = rule("\x1b[31m", "0\n1");
    auto d = describe_rule(r);
    CHECK(d.find('\x1b') == std::string::npos);
    CHECK(d.find('\n') == std::string::npos);
    CHECK_FALSE(convert_rule(r).ok());
    CHECK(convert_rule(r).problem.find('\x1b') == std::string::npos);
  }

  TEST_CASE("describe_rule names the platform's fields as written") {
    CHECK(describe_rule(rule("0-59/15", "8-17", "2-6")) ==
          "minutes=0-59/15 hours=8-17 daysOfWeek=2-6 daysOfMonth=* months=* years=*");
    CHECK(describe_rule(ScheduleRule{}) == "(no fields)");
  }

  TEST_CASE("a Retry block makes the process incomplete but keeps its rules") {
    ProcessSchedules p;
    p.rules = {rule("0", "1"), rule("0", "0", "*", "*", "*", "2030")};
    auto c = convert_process(p);
    CHECK(c.any());
    CHECK_FALSE(c.complete());
    CHECK(c.retry_problem.empty());
    p.rules = {rule("0", "1"), rule("30", "13")};
    CHECK(convert_process(p).complete());
    p.retry = ScheduleRetry{3, {rule("*/5", "*")}};
    c = convert_process(p);
    CHECK(c.rules.size() == 2);
    CHECK(c.any());
    CHECK_FALSE(c.complete());
    CHECK(c.retry_problem.find("a Retry block (maxRetry 3, 1 rule(s))") == 0);
    p.rules.clear();
    CHECK_FALSE(convert_process(p).any());
  }

  TEST_CASE("a converted rule fires at exactly the minutes the platform rule names over a year") {
    std::mt19937 rng(28);
    int compared = 0;
    for (int n = 0; n < 40; ++n) {
      bool day_of_week = rng() % 2 == 0;
      ScheduleRule r = rule(random_field(rng, 0, 59).c_str(), random_field(rng, 0, 23).c_str(),
                            day_of_week ? random_field(rng, 1, 7).c_str() : "*",
                            day_of_week ? "*" : random_field(rng, 1, 31).c_str(),
                            random_field(rng, 1, 12).c_str());
      INFO(describe_rule(r));
      auto c = convert_rule(r);
      if (!c.ok()) {  // only "never fires" may stop a rule of these forms
        CHECK(c.problem.find("which boomi-sched rejects") != std::string::npos);
        continue;
      }
      INFO(c.expression);
      auto minutes = platform_values(*r.minutes, 0, 59);
      auto hours = platform_values(*r.hours, 0, 23);
      auto dows = platform_values(*r.days_of_week, 1, 7);
      auto doms = platform_values(*r.days_of_month, 1, 31);
      auto months = platform_values(*r.months, 1, 12);
      std::vector<std::chrono::sys_seconds> expected;
      auto first = date::sys_days{date::year{2027} / 1 / 1};
      for (auto day = first; day < date::sys_days{date::year{2028} / 1 / 1}; day += date::days{1}) {
        date::year_month_day ymd{day};
        int weekday = static_cast<int>(date::weekday{day}.c_encoding()) + 1;  // 1 = Sunday
        if (!months.count(static_cast<int>(static_cast<unsigned>(ymd.month()))) ||
            !doms.count(static_cast<int>(static_cast<unsigned>(ymd.day()))) ||
            !dows.count(weekday))
          continue;
        for (int h : hours)
          for (int m : minutes)
            expected.push_back(day + std::chrono::hours{h} + std::chrono::minutes{m});
      }
      auto s = bsched::config::Schedule::parse(c.expression);
      REQUIRE(s.has_value());
      std::vector<std::chrono::sys_seconds> actual;
      s->for_each_in(first, date::sys_days{date::year{2028} / 1 / 1}, [&](auto t) {
        actual.push_back(t);
        return true;
      });
      CHECK(actual == expected);
      ++compared;
    }
    CHECK(compared >= 30);
  }
}
