// libFuzzer target for schedule expressions. Input: byte 0 picks the zone, byte 1 the fold
// rule, bytes 2-5 the query instant; the rest is the expression (and, after a NUL, the hash
// seed). Oracles: no crash or sanitizer report; an error names a known field and a column
// inside the text (or just past it); a parsed schedule yields strictly increasing slots
// after the query instant, and for_each_in over a window visits exactly what repeated
// next_after visits.
//   cmake -S . -B build-fuzz -G Ninja -DBSCHED_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++
//   build-fuzz/fuzz_schedule -max_total_time=600 -dict=tests/fuzz/schedule.dict corpus/
#include "config/schedule.h"
#include "base/time_util.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace bsched;
using namespace std::chrono;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_schedule: oracle failed: %s\n", what);
    std::abort();
  }
}

const date::time_zone* pick_zone(std::uint8_t b) {
  static const std::array<const char*, 6> names = {
      "", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago",
      "Asia/Kolkata"};
  std::string_view name = names[b % names.size()];
  return name.empty() ? nullptr : *find_zone(name);
}

void check_error(const config::ScheduleError& e, std::string_view text) {
  static const std::array<std::string_view, 7> fields = {
      "second", "minute", "hour", "day-of-month", "month", "day-of-week", "expression"};
  bool known = false;
  for (auto f : fields) known = known || e.field == f;
  check(known, "error names an unknown field");
  check(e.column >= 1 && static_cast<size_t>(e.column) <= text.size() + 1,
        "error column outside the text");
  check(!e.reason.empty(), "error without a reason");
}

void check_slots(const config::Schedule& s, sys_seconds from) {
  std::vector<sys_seconds> stepped;
  auto t = from;
  for (int i = 0; i < 40; ++i) {
    auto next = s.next_after(t);
    if (!next) break;
    check(*next > t, "next_after is not after its argument");
    stepped.push_back(*next);
    t = *next;
  }
  if (stepped.empty()) return;
  std::vector<sys_seconds> walked;
  s.for_each_in(from + seconds{1}, stepped.back() + seconds{1}, [&](sys_seconds x) {
    walked.push_back(x);
    return walked.size() <= stepped.size();
  });
  check(walked == stepped, "for_each_in differs from repeated next_after");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, size_t size) {
  if (size < 6 || size > 512) return 0;
  auto zone = pick_zone(data[0]);
  auto fold = static_cast<config::DstFold>(data[1] % 3);
  // An instant between 1970 and about 2106 (the 32-bit range), where zones have rules.
  std::uint32_t raw = static_cast<std::uint32_t>(data[2]) | (static_cast<std::uint32_t>(data[3]) << 8) |
                      (static_cast<std::uint32_t>(data[4]) << 16) |
                      (static_cast<std::uint32_t>(data[5]) << 24);
  sys_seconds from{seconds{raw}};
  std::string_view rest(reinterpret_cast<const char*>(data + 6), size - 6);
  auto nul = rest.find('\0');
  std::string_view text = rest.substr(0, nul);
  std::string_view seed = nul == std::string_view::npos ? "" : rest.substr(nul + 1);
  auto parsed = config::Schedule::parse(text, seed, zone, fold);
  if (!parsed) {
    check_error(parsed.error(), text);
    return 0;
  }
  check_slots(*parsed, from);
  return 0;
}
