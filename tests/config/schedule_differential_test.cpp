// Differential test against npm cron-parser@4 (tests/config/cron_reference.js): a seeded,
// deterministic corpus of 2,000 expressions in UTC; the next three slots of each must agree.
//
// The corpus uses only the syntax both sides implement: 5 or 6 fields, *, values, names,
// ranges, steps, a/n, lists, ?, L in day-of-month, dL and d#k in day-of-week. Excluded, each
// because cron-parser deviates from Vixie cron there (docs/schedule.md, "Deviations"):
//   1. a day field that starts with '*' but is not '*' (e.g. */2) while the other day field
//      is restricted: Vixie ANDs the fields, cron-parser ORs them;
//   2. a day field that does not start with '*' but covers every value (1-31, 0-6, MON-SUN)
//      while the other is restricted: Vixie ORs (the field is "restricted" by its text),
//      cron-parser treats it as a wildcard and ANDs;
//   3. L in day-of-month, or dL / d#k in day-of-week, while the other day field is
//      restricted: cron-parser ANDs these special forms with the other field instead of
//      applying the OR rule;
//   4. a stepped day-of-week item that reaches 7 (a/n, a-7/n): cron-parser adds Sunday to
//      it even when the step does not land on 7 (3/5 and 2-7/3 include Sunday there; in
//      cronie and the engine 3/5 is Wednesday only);
//   5. a day-of-week list whose items overlap (2-4,0-4): cron-parser keeps the duplicate
//      values and then skips days that match.
// Expressions the engine rejects as never firing are skipped (cron-parser has no such check
// and searches until its own limit); the test asserts there are few of them.
// Skips with a message when node or the module is missing; scripts/install-deps.sh --test
// installs both, so CI runs it.
#include "config/cron_spec.h"
#include "tests/config/schedule_test_util.h"
#include "tests/support/config_test_util.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

using bsched::config::Schedule;

namespace {

// splitmix64: a fixed sequence on every platform (std distributions are not portable).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : m_state(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int in(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1)); }
  bool chance(int percent) { return in(1, 100) <= percent; }

 private:
  std::uint64_t m_state;
};

struct Range {
  int lo, hi;
  const char* const* names;  // nullptr, or names indexed from lo
};

const char* const k_months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const k_days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::string value(Rng& rng, const Range& r, int v) {
  if (r.names && rng.chance(30) && v - r.lo < (r.names == k_days ? 7 : 12))
    return r.names[v - r.lo];
  return std::to_string(v);
}

std::string item(Rng& rng, const Range& r) {
  int a = rng.in(r.lo, r.hi), b = rng.in(r.lo, r.hi);
  if (a > b) std::swap(a, b);
  int span = r.hi - r.lo + 1;
  switch (rng.in(0, 5)) {
    case 0: return value(rng, r, a);
    case 1: return value(rng, r, a) + "-" + value(rng, r, b);
    case 2: return fmt::format("*/{}", rng.in(1, span / 2 + 1));
    case 3: return fmt::format("{}-{}/{}", a, b, rng.in(1, span / 3 + 1));
    case 4: return fmt::format("{}/{}", a, rng.in(1, span / 2 + 1));
    default: return value(rng, r, a);
  }
}

std::string field(Rng& rng, const Range& r, int star_percent) {
  if (rng.chance(star_percent)) return "*";
  std::string out = item(rng, r);
  for (int n = rng.in(0, 2); n > 0 && rng.chance(40); --n) out += "," + item(rng, r);
  return out;
}

std::string day_of_month(Rng& rng) {
  if (rng.chance(5)) return "?";
  if (rng.chance(5)) return "L";
  return field(rng, {1, 31, nullptr}, 55);
}

std::string day_of_week(Rng& rng) {
  if (rng.chance(5)) return "?";
  if (rng.chance(5)) return fmt::format("{}L", rng.in(0, 7));
  if (rng.chance(5)) return fmt::format("{}#{}", rng.in(0, 7), rng.in(1, 5));
  return field(rng, {0, 7, k_days}, 60);
}

std::string expression(Rng& rng) {
  std::string out;
  if (rng.chance(25)) out = field(rng, {0, 59, nullptr}, 30) + " ";
  out += field(rng, {0, 59, nullptr}, 25) + " " + field(rng, {0, 23, nullptr}, 35) + " ";
  out += day_of_month(rng) + " " + field(rng, {1, 12, k_months}, 70) + " " + day_of_week(rng);
  return out;
}

bool special_day(std::string_view f) {
  return f.find('L') != std::string_view::npos || f.find('#') != std::string_view::npos;
}

// Classes 4 and 5 (see the file comment).
bool dow_deviates(const std::string& dow) {
  std::uint32_t seen = 0;
  std::istringstream items(dow);
  for (std::string item; std::getline(items, item, ',');) {
    auto slash = item.find('/');
    if (slash != std::string::npos) {
      auto base = item.substr(0, slash);
      if (base != "*" && (base.find('-') == std::string::npos || base.ends_with("-7")))
        return true;
    }
    std::vector<std::string> ignored;
    auto spec = bsched::config::parse_cron("0 0 * * " + item, "", ignored);
    if (!spec) continue;
    if (seen & spec->dow) return true;
    seen |= spec->dow;
  }
  return false;
}

// The documented classes where cron-parser deviates from Vixie cron (see the file comment).
bool excluded(const std::string& expr) {
  std::istringstream in(expr);
  std::vector<std::string> f{std::istream_iterator<std::string>(in), {}};
  const auto& dom = f[f.size() - 3];
  const auto& dow = f[f.size() - 1];
  if (dow_deviates(dow)) return true;  // classes 4 and 5
  bool dom_star = dom == "*" || dom == "?", dow_star = dow == "*" || dow == "?";
  if (dom_star || dow_star) return false;  // one side unrestricted: both AND the same way
  if (dom.starts_with('*') || dow.starts_with('*')) return true;             // class 1
  if (special_day(dom) || special_day(dow)) return true;                     // class 3
  std::vector<std::string> ignored;
  auto spec = bsched::config::parse_cron(expr, "", ignored);
  return spec && ((spec->dom & 0xFFFFFFFEu) == 0xFFFFFFFEu || spec->dow == 0x7F);  // class 2
}

std::filesystem::path tools_dir() {
  if (const char* t = std::getenv("BOOMI_SCHED_TOOLS"); t && *t) return t;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/nonexistent") / ".cache/boomi-sched-tools";
}

std::string slots_of(const Schedule& s, std::chrono::sys_seconds from, int n) {
  std::string out;
  for (auto t = s.next_after(from); t && n-- > 0; t = s.next_after(*t))
    out += (out.empty() ? "" : " ") + bsched::format_utc(*t);
  return out;
}

}  // namespace

TEST_SUITE("config::schedule") {
  TEST_CASE("the engine agrees with cron-parser on 2,000 generated expressions") {
    if (std::system("command -v node >/dev/null 2>&1") != 0 ||
        !std::filesystem::exists(tools_dir() / "node_modules/cron-parser")) {
      MESSAGE("skipped: node or cron-parser@4 is missing (scripts/install-deps.sh --test)");
      return;
    }
    Rng rng(20261125);
    struct Case { std::string expr; std::chrono::sys_seconds from; };
    std::vector<Case> cases;
    int skipped_excluded = 0, never_fires = 0;
    std::string input;
    while (cases.size() < 2000) {
      auto expr = expression(rng);
      if (excluded(expr)) {
        ++skipped_excluded;
        continue;
      }
      auto s = Schedule::parse(expr);
      if (!s) {
        INFO("expression: ", expr);
        REQUIRE(s.error().reason.starts_with("the expression never fires"));
        ++never_fires;
        continue;
      }
      // Start instants spread over 2024-2031, on odd seconds to test "strictly after".
      auto from = bsched::test::instant("2024-01-01T00:00:00Z") +
                  std::chrono::seconds{rng.in(0, 8 * 365) * 86400LL + rng.in(0, 86399)};
      input += fmt::format("{}\t3\t{}\n", bsched::format_utc(from), expr);
      cases.push_back({expr, from});
    }
    bsched::test::ConfigTempDir dir;
    dir.write("corpus.tsv", input);
    // To investigate a failure: BSCHED_SCHEDULE_CORPUS=/tmp/c.tsv keeps a copy of the corpus.
    if (const char* keep = std::getenv("BSCHED_SCHEDULE_CORPUS")) std::ofstream(keep) << input;
    auto r = bsched::test::run_command(
        fmt::format("node '{}/tests/config/cron_reference.js' '{}'", BSCHED_SOURCE_DIR,
                    (dir.path() / "corpus.tsv").string()),
        dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::istringstream lines(r.out);
    std::string line;
    int compared = 0, mismatches = 0;
    for (const auto& c : cases) {
      REQUIRE(std::getline(lines, line));
      auto ours = slots_of(*Schedule::parse(c.expr), c.from, 3);
      if (ours != line && ++mismatches <= 20)
        MESSAGE(fmt::format("'{}' from {}:\n  engine:      {}\n  cron-parser: {}", c.expr,
                            bsched::format_utc(c.from), ours, line));
      ++compared;
    }
    MESSAGE(fmt::format("compared {} expressions; excluded {}, never firing {}", compared,
                        skipped_excluded, never_fires));
    CHECK(mismatches == 0);
    CHECK(compared == 2000);
    CHECK(never_fires < 100);
  }
}
