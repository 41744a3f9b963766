// `boomi-sched status [--json] [--config P]` (product.md §6): one line per configured job,
// read from the state database without writing to it, whether or not the daemon runs.
#include "daemon/cli/command.h"
#include "daemon/cli/open_state.h"
#include "daemon/status/status_format.h"
#include "daemon/status/status_json.h"
#include "daemon/status/status_report.h"
#include "daemon/status/status_support.h"

#include <fmt/core.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

using namespace status;  // the status readers and formatters (daemon/status/)

namespace {

struct StatusOptions {
  std::optional<std::string> config;
  bool json = false;
  bool wide = false;
};

int run_status(const StatusOptions& o) {
  auto ctx = open_state("status", o.config,
                        {.broken_config_ok = true, .missing_db_ok = true});
  if (!ctx) return k_exit_failure;
  auto now = now_millis();
  auto daemon = status::read_daemon(ctx->store.get(), ctx->db_path, now);
  status::Removed removed;
  auto jobs = daemon ? status::collect_jobs(ctx->config.get(), ctx->store.get(), now, removed)
                     : storage::StoreResult<std::vector<status::JobStatus>>(daemon.error());
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
