#include "base/time_util.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace bsched {

using namespace std::chrono;

namespace {

// "YYYY-MM-DDTHH:MM:SS" by calendar arithmetic: date::format goes through an ostream and a
// locale, which costs a microsecond or more; these stamps are written for every run.
template <class Duration>
fmt::memory_buffer iso_seconds(time_point<system_clock, Duration> t) {
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> hms{floor<seconds>(t - day)};
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                 hms.seconds().count());
  return out;
}

}  // namespace

std::string format_utc(sys_seconds t) {
  auto out = iso_seconds(t);
  out.push_back('Z');
  return fmt::to_string(out);
}

std::string format_utc_ms(SysMillis t) {
  auto out = iso_seconds(t);
  const auto ms = (t - floor<seconds>(t)).count();
  fmt::format_to(std::back_inserter(out), ".{:03}Z", ms);
  return fmt::to_string(out);
}

std::string format_local_iso(sys_seconds t, const date::time_zone* zone) {
  auto zt = date::make_zoned(zone ? zone : utc_zone(), t);
  auto info = zt.get_info();
  auto off = duration_cast<minutes>(info.offset).count();
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", date::format("%FT%T", zt.get_local_time()), sign, off / 60,
                     off % 60);
}

namespace {

bool read_int(std::string_view s, size_t& pos, size_t digits, int& out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  pos += digits;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

Result<sys_seconds> parse_instant(std::string_view s, const date::time_zone* zone_for_local) {
  auto bad = [&] {
    return make_error(fmt::format(
        "'{}' is not an ISO 8601 instant (expected e.g. 2026-03-29T01:30:00Z)", s));
  };
  size_t pos = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!read_int(s, pos, 4, y) || !expect(s, pos, '-') || !read_int(s, pos, 2, mo) ||
      !expect(s, pos, '-') || !read_int(s, pos, 2, d))
    return bad();
  auto ymd = date::year{y} / mo / d;
  if (!ymd.ok()) return make_error(fmt::format("'{}' is not a valid calendar date", s));
  if (pos < s.size()) {
    if (!(expect(s, pos, 'T') || expect(s, pos, 't') || expect(s, pos, ' '))) return bad();
    if (!read_int(s, pos, 2, h) || !expect(s, pos, ':') || !read_int(s, pos, 2, mi)) return bad();
    if (expect(s, pos, ':') && !read_int(s, pos, 2, sec)) return bad();
    if (expect(s, pos, '.') || expect(s, pos, ',')) {
      size_t start = pos;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
      if (pos == start) return bad();
    }
    if (h > 23 || mi > 59 || sec > 60) return bad();
  }
  auto local = date::local_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
  if (pos == s.size()) {
    auto zone = zone_for_local ? zone_for_local : utc_zone();
    try {
      return date::make_zoned(zone, local, date::choose::earliest).get_sys_time();
    } catch (const std::exception&) {
      return make_error(fmt::format("'{}' does not exist in zone {}", s, zone->name()));
    }
  }
  minutes offset{0};
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
  } else {
    int sign = s[pos] == '-' ? -1 : (s[pos] == '+' ? 1 : 0);
    if (sign == 0) return bad();
    ++pos;
    int oh, om = 0;
    if (!read_int(s, pos, 2, oh)) return bad();
    if (expect(s, pos, ':') || (pos < s.size())) {
      if (!read_int(s, pos, 2, om)) return bad();
    }
    offset = sign * (hours{oh} + minutes{om});
  }
  if (pos != s.size()) return bad();
  return sys_seconds{local.time_since_epoch()} - offset;
}

Result<const date::time_zone*> find_zone(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Z") return utc_zone();
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return make_error(fmt::format("unknown time zone '{}' (expected an IANA name such as "
                                  "Europe/Berlin or America/New_York)",
                                  name));
  }
}

const date::time_zone* utc_zone() {
  static const date::time_zone* z = date::locate_zone("Etc/UTC");
  return z;
}

const date::time_zone* host_zone() {
  try {
    if (const char* tz = std::getenv("TZ"); tz && *tz) {
      if (auto z = find_zone(*tz == ':' ? tz + 1 : tz)) return *z;
    }
    return date::current_zone();
  } catch (const std::exception&) {
    return utc_zone();
  }
}

Result<Millis> parse_duration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(fmt::format("'{}' is not a duration: {} (use forms like 500ms, 30s, 5m, "
                                  "2h, 1d or 1h30m)",
                                  text, why));
  };
  if (text.empty()) return bad("it is empty");
  Millis total{0};
  size_t pos = 0;
  while (pos < text.size()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
    if (ec != std::errc{} || end == text.data() + pos) return bad("expected a number");
    if (n < 0) return bad("it is negative");
    pos = static_cast<size_t>(end - text.data());
    size_t ustart = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    auto unit = text.substr(ustart, pos - ustart);
    long long ms_per;
    if (unit == "ms") ms_per = 1;
    else if (unit == "s") ms_per = 1000;
    else if (unit == "m") ms_per = 60'000;
    else if (unit == "h") ms_per = 3'600'000;
    else if (unit == "d") ms_per = 86'400'000;
    else if (unit.empty()) return bad("a unit is missing");
    else return bad(fmt::format("unknown unit '{}'", unit));
    if (n > (1LL << 50) / ms_per) return bad("it is too large");
    total += Millis{n * ms_per};
  }
  return total;
}

std::string format_duration(Millis d) {
  if (d.count() == 0) return "0s";
  std::string out;
  if (d.count() < 0) {
    out = "-";
    d = -d;
  }
  struct Unit { long long ms; const char* name; };
  static constexpr Unit units[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  long long left = d.count();
  for (const auto& u : units) {
    if (left >= u.ms) {
      out += fmt::format("{}{}", left / u.ms, u.name);
      left %= u.ms;
    }
  }
  return out;
}

}  // namespace bsched
