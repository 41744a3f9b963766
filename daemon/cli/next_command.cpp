// `boomi-sched next (JOB | --expr "CRON" [--tz ZONE]) [--count N] [--from ISO8601] [--json]
// [--config P]` (product.md §1): the next fire instants of a job, or of an expression, in
// UTC and in the job's zone. Pure: it reads the configuration (never the token) and a clock.
#include "config/loader.h"
#include "base/time_util.h"
#include "daemon/cli/command.h"
#include "daemon/cli/open_state.h"
#include "daemon/status/status_support.h"

#include <boost/json.hpp>
#include <date/tz.h>
#include <fmt/core.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::cli {

using namespace status;  // the status readers and formatters (daemon/status/)

namespace {

using std::chrono::sys_seconds;

struct NextOptions {
  std::optional<std::string> job;
  std::optional<std::string> expr;
  std::optional<std::string> tz;
  std::optional<std::string> from;
  std::optional<std::string> config;
  int count = 5;
  bool json = false;
};

// What to list: a function from an instant to the next slot after it, in a zone.
struct Target {
  std::function<std::optional<sys_seconds>(sys_seconds)> next;
  const date::time_zone* zone = nullptr;
};

// The expression with a caret under the column of an error.
void print_schedule_error(const std::string& expr, const config::ScheduleError& e) {
  fmt::print(stderr, "boomi-sched next: invalid schedule: {}\n  {}\n  {:>{}}\n", e.message(),
             expr, "^", e.column);
}

std::optional<Target> expression_target(const NextOptions& o) {
  const date::time_zone* zone = utc_zone();
  if (o.tz) {
    auto z = find_zone(*o.tz);
    if (!z) {
      fmt::print(stderr, "boomi-sched next: {}\n", z.error().message);
      return std::nullopt;
    }
    zone = *z;
  }
  auto s = config::Schedule::parse(*o.expr, "", zone);
  if (!s) {
    print_schedule_error(*o.expr, s.error());
    return std::nullopt;
  }
  for (const auto& w : s->warnings()) fmt::print(stderr, "boomi-sched next: warning: {}\n", w);
  auto schedule = std::make_shared<config::Schedule>(std::move(*s));
  return Target{[schedule](sys_seconds t) { return schedule->next_after(t); }, zone};
}

std::optional<Target> job_target(const NextOptions& o) {
  auto path = resolve_config("boomi-sched next", o.config);
  auto loaded = config::load_config(path, {.read_secret = false});
  if (!loaded) {
    config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "boomi-sched next: the configuration {} has errors (see above)\n", path);
    return std::nullopt;
  }
  std::shared_ptr<const config::Config> cfg = loaded->config;
  std::string names;
  for (const auto& job : cfg->jobs) {
    if (job.name == *o.job) {
      if (!job.enabled)
        fmt::print(stderr, "boomi-sched next: note: job '{}' is disabled; these are the slots "
                           "it would have\n", job.name);
      const config::Job* j = &job;
      return Target{[cfg, j](sys_seconds t) { return j->next_after(t); }, job.settings->zone};
    }
    names += (names.empty() ? "" : ", ") + job.name;
  }
  fmt::print(stderr, "boomi-sched next: no job '{}' in {} (jobs: {})\n", *o.job, path, names);
  return std::nullopt;
}

std::string local_line(sys_seconds t, const date::time_zone* zone) {
  auto zt = date::make_zoned(zone, t);
  return date::format("%a %Y-%m-%d %H:%M:%S %Z", zt);
}

void print_slots(const std::vector<sys_seconds>& slots, const date::time_zone* zone, bool json) {
  if (!json) {
    for (auto t : slots) fmt::print("{}  {}\n", local_line(t, zone), format_utc(t));
    return;
  }
  boost::json::array out;
  for (auto t : slots) {
    auto info = zone->get_info(t);
    out.push_back(boost::json::object{{"utc", format_utc(t)},
                                      {"local", format_local_iso(t, zone)},
                                      {"zone", std::string(zone->name())},
                                      {"abbrev", info.abbrev},
                                      {"epoch", t.time_since_epoch().count()}});
  }
  fmt::print("{}\n", boost::json::serialize(out));
}

// True when the instant's seconds have a fraction other than zero ("…:09.151Z").
bool has_fraction(const std::string& text) {
  auto time = text.find_first_of("Tt ");
  if (time == std::string::npos) return false;
  auto mark = text.find_first_of(".,", time);
  if (mark == std::string::npos) return false;
  for (auto i = mark + 1; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (text[i] != '0') return true;
  }
  return false;
}

int run_next(const NextOptions& o) {
  if (o.job.has_value() == o.expr.has_value()) {
    fmt::print(stderr, "boomi-sched next: give either a JOB or --expr \"CRON\" (see --help)\n");
    return k_exit_usage;
  }
  if (o.tz && !o.expr) {
    fmt::print(stderr, "boomi-sched next: --tz applies to --expr only; a job uses its own "
                       "timezone\n");
    return k_exit_usage;
  }
  auto target = o.expr ? expression_target(o) : job_target(o);
  if (!target) return k_exit_failure;
  auto from = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (o.from) {
    auto parsed = parse_instant(*o.from, target->zone);
    if (!parsed) {
      fmt::print(stderr, "boomi-sched next: --from: {}\n", parsed.error().message);
      return k_exit_usage;
    }
    // Slots are whole seconds: --from itself may be one, unless it has a fraction (the
    // parse truncates it), when the first slot at or after it is the next second.
    from = has_fraction(*o.from) ? *parsed : *parsed - std::chrono::seconds{1};
  }
  std::vector<sys_seconds> slots;
  for (auto t = target->next(from); t && static_cast<int>(slots.size()) < o.count;
       t = target->next(*t))
    slots.push_back(*t);
  print_slots(slots, target->zone, o.json);
  return k_exit_ok;
}

}  // namespace

void add_next_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<NextOptions>();
  auto* cmd = root.add_subcommand(
      "next", "List the next fire instants of a job, or of an expression, in UTC and local time");
  cmd->add_option("JOB", opts->job, "a job of the configuration");
  cmd->add_option("--expr", opts->expr, "a schedule expression instead of a job (product.md §3)");
  cmd->add_option("--tz", opts->tz, "IANA zone of --expr (default: UTC)");
  cmd->add_option("--count,-n", opts->count, "how many instants (default: 5)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--from", opts->from,
                  "list instants at or after this one (ISO 8601; without an offset it is read "
                  "in the schedule's zone; default: now)");
  cmd->add_flag("--json", opts->json,
                "a JSON array of {utc, local, zone, abbrev, epoch} objects");
  cmd->add_option("--config", opts->config,
                  k_config_help);
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_next(*opts); }; });
}

}  // namespace bsched::cli
