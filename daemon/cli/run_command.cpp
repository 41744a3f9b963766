// `boomi-sched run [--config P] [--dev] [--log-level L]` (product.md §1, §5, §8): the daemon
// in the foreground. It never forks; systemd (Type=notify) or a terminal supervises it.
#include "daemon/cli/command.h"

#include <fmt/core.h>

#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

struct RunOptions {
  std::optional<std::string> config;
  bool dev = false;
  std::optional<std::string> log_level;
};

}  // namespace

void add_run_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<RunOptions>();
  auto* cmd = root.add_subcommand("run", "Run the scheduler daemon in the foreground");
  cmd->add_option("--config", opts->config,
                  "Main configuration file (default: $BOOMI_SCHED_CONFIG, else "
                  "/etc/boomi-sched/boomi-sched.yaml)");
  cmd->add_flag("--dev", opts->dev,
                "Demo mode: built-in simulator, demo jobs, temporary database");
  cmd->add_option("--log-level", opts->log_level,
                  "trace, debug, info, warning, error (default: $BOOMI_SCHED_LOG_LEVEL, else info)");
  cmd->callback([&chosen, opts] {
    chosen = [opts] {
      // The scheduler engine, run store and platform client are wired in once they land.
      fmt::print(stderr, "boomi-sched: 'run' is not available in this build yet\n");
      return k_exit_failure;
    };
  });
}

}  // namespace bsched::cli
