// `boomi-sched status [--json] [--config P]` (product.md §6): one line per configured job,
// read from the state database without writing to it, whether or not the daemon runs.
#include "daemon/cli/command.h"
#include "daemon/cli/status_format.h"
#include "daemon/cli/status_json.h"
#include "daemon/cli/status_support.h"

#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

struct StatusOptions {
  std::optional<std::string> config;
  bool json = false;
};

int run_status(const StatusOptions& o) {
  auto ctx = open_state("status", o.config, storage::OpenMode::read_only);
  if (!ctx) return k_exit_failure;
  auto now = now_millis();
  auto heartbeat = ctx->store->read_heartbeat();
  if (!heartbeat) {
    fmt::print(stderr, "status: {}\n", heartbeat.error().message);
    return k_exit_failure;
  }
  auto daemon = daemon_state(*heartbeat, now);
  std::vector<JobStatus> jobs;
  auto now_s = std::chrono::floor<std::chrono::seconds>(now);
  for (const auto& job : ctx->config->jobs) {
    auto summary = ctx->store->job_summary(job.name);
    if (!summary) {
      fmt::print(stderr, "status: {}\n", summary.error().message);
      return k_exit_failure;
    }
    jobs.push_back(JobStatus{&job, std::move(*summary), job.next_after(now_s)});
  }
  if (o.json) {
    fmt::print("{}\n", boost::json::serialize(status_json(daemon, jobs)));
  } else {
    fmt::print("{}{}", render_status_header(daemon, now), render_status_table(jobs, now));
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
