// `boomi-sched status [--json] [--config P]` (product.md §6): one line per configured job,
// read from the state database without writing to it, whether or not the daemon runs.
#include "daemon/cli/command.h"
#include "daemon/cli/status_format.h"
#include "daemon/cli/status_json.h"
#include "daemon/cli/status_support.h"

#include <fmt/core.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

struct StatusOptions {
  std::optional<std::string> config;
  bool json = false;
};

// Stand-ins for jobs no longer configured whose runs are still tracked to their end.
using Removed = std::deque<config::Job>;

storage::StoreResult<std::vector<JobStatus>> collect_jobs(StateContext& ctx, SysMillis now,
                                                          Removed& removed) {
  std::vector<JobStatus> jobs;
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  for (const auto& job : ctx.config->jobs) {
    BSCHED_TRY_ASSIGN(summary, ctx.store->job_summary(job.name));
    jobs.push_back(JobStatus{&job, false, std::move(summary), job.next_after(now_s)});
  }
  BSCHED_TRY_ASSIGN(open_jobs, ctx.store->in_flight_jobs());
  for (const auto& name : open_jobs) {
    if (ctx.config->find_job(name)) continue;
    auto& stand_in = removed.emplace_back();
    stand_in.name = name;
    auto& settings = stand_in.edit_settings();
    settings.timezone = "UTC";
    settings.zone = utc_zone();
    BSCHED_TRY_ASSIGN(summary, ctx.store->job_summary(name));
    jobs.push_back(JobStatus{&stand_in, true, std::move(summary), std::nullopt});
  }
  return jobs;
}

int run_status(const StatusOptions& o) {
  auto ctx = open_state("status", o.config, storage::OpenMode::read_only);
  if (!ctx) return k_exit_failure;
  auto now = now_millis();
  auto heartbeat = ctx->store->read_heartbeat();
  Removed removed;
  auto jobs = heartbeat ? collect_jobs(*ctx, now, removed)
                        : storage::StoreResult<std::vector<JobStatus>>(heartbeat.error());
  if (!jobs) {
    fmt::print(stderr, "status: {}\n", jobs.error().message);
    return k_exit_failure;
  }
  auto daemon = daemon_state(*heartbeat, now);
  if (o.json) {
    fmt::print("{}\n", boost::json::serialize(status_json(daemon, *jobs)));
  } else {
    fmt::print("{}{}", render_status_header(daemon, now), render_status_table(*jobs, now));
  }
  return k_exit_ok;
}

}  // namespace

void add_status_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<StatusOptions>();
  auto* cmd = root.add_subcommand(
      "status", "One line per job: schedule, next fire, last run and result, runs in flight, "
                "missed slots; works whether or not the daemon runs");
  cmd->add_option("--config", opts->config,
                  "main configuration file (default: $BOOMI_SCHED_CONFIG, else "
                  "/etc/boomi-sched/boomi-sched.yaml)");
  cmd->add_flag("--json", opts->json, "print one JSON object with every field");
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_status(*opts); }; });
}

}  // namespace bsched::cli
