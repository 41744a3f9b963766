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
  bool wide = false;
};

// Stand-ins for jobs no longer configured whose runs are still tracked to their end.
using Removed = std::deque<config::Job>;

// A stand-in for a job that the status shows without its configuration.
const config::Job* stand_in(Removed& removed, const std::string& name) {
  auto& job = removed.emplace_back();
  job.name = name;
  auto& settings = job.edit_settings();
  settings.timezone = "UTC";
  settings.zone = utc_zone();
  return &job;
}

storage::StoreResult<storage::JobSummary> summary_of(StateContext& ctx, const std::string& job) {
  if (!ctx.store) return storage::JobSummary{};  // never started: nothing recorded yet
  return ctx.store->job_summary(job);
}

storage::StoreResult<std::vector<JobStatus>> collect_jobs(StateContext& ctx, SysMillis now,
                                                          Removed& removed) {
  std::vector<JobStatus> jobs;
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  if (ctx.config) {
    for (const auto& job : ctx.config->jobs) {
      BSCHED_TRY_ASSIGN(summary, summary_of(ctx, job.name));
      jobs.push_back(JobStatus{&job, false, std::move(summary), job.next_after(now_s)});
    }
  }
  if (!ctx.store) return jobs;
  // Without a configuration, every job the database knows; else those still in flight.
  BSCHED_TRY_ASSIGN(names, ctx.config ? ctx.store->in_flight_jobs() : ctx.store->known_jobs());
  for (const auto& name : names) {
    if (ctx.config && ctx.config->find_job(name)) continue;
    BSCHED_TRY_ASSIGN(summary, summary_of(ctx, name));
    jobs.push_back(JobStatus{stand_in(removed, name), true, std::move(summary), std::nullopt,
                             !ctx.config});
  }
  return jobs;
}

storage::StoreResult<DaemonState> read_daemon(StateContext& ctx, SysMillis now) {
  if (!ctx.store) {
    DaemonState d;
    d.never_started = true;
    d.db_path = ctx.db_path;
    return d;
  }
  BSCHED_TRY_ASSIGN(heartbeat, ctx.store->read_heartbeat());
  BSCHED_TRY_ASSIGN(notes, ctx.store->read_daemon_notes());
  auto d = daemon_state(heartbeat, now);
  apply_notes(d, notes);
  return d;
}

int run_status(const StatusOptions& o) {
  auto ctx = open_state("status", o.config,
                        {.broken_config_ok = true, .missing_db_ok = true});
  if (!ctx) return k_exit_failure;
  auto now = now_millis();
  auto daemon = read_daemon(*ctx, now);
  Removed removed;
  auto jobs = daemon ? collect_jobs(*ctx, now, removed)
                     : storage::StoreResult<std::vector<JobStatus>>(daemon.error());
  if (!jobs) {
    fmt::print(stderr, "status: {}\n", jobs.error().message);
    return k_exit_failure;
  }
  StatusContext view{ctx->config_path, ctx->config_errors, ctx->config != nullptr,
                     ctx->db_path};
  if (o.json) {
    fmt::print("{}\n", boost::json::serialize(status_json(*daemon, view, *jobs, now)));
  } else {
    fmt::print("{}{}", render_status_header(*daemon, now, view),
               render_status_table(*jobs, now, untracked_since(*daemon), o.wide));
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
                  k_config_help);
  cmd->add_flag("--json", opts->json, "print one JSON object with every field");
  cmd->add_flag("--wide,-w", opts->wide,
                "add the EXECUTION column: the platform's executionId of each job's last run");
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_status(*opts); }; });
}

}  // namespace bsched::cli
