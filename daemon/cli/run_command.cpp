// `boomi-sched run [--config P] [--dev] [--log-level L]` (product.md §1, §5, §8): the daemon
// in the foreground. It never forks; systemd (Type=notify) or a terminal supervises it.
#include "daemon/cli/command.h"
#include "daemon/runtime/run.h"

#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

void add_run_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<runtime::RunOptions>();
  auto* cmd = root.add_subcommand("run", "Run the scheduler daemon in the foreground");
  cmd->add_option("--config", opts->config,
                  "Main configuration file (default: $BOOMI_SCHED_CONFIG, else "
                  "/etc/boomi-sched/boomi-sched.yaml)");
  cmd->add_flag("--dev", opts->dev,
                "Demo mode: built-in simulator, demo jobs, temporary database");
  cmd->add_option("--log-level", opts->log_level,
                  "trace, debug, info, warning, error (default: $BOOMI_SCHED_LOG_LEVEL, else info)");
  cmd->callback([&chosen, opts] {
    chosen = [opts] { return runtime::run_daemon(*opts); };
  });
}

}  // namespace bsched::cli
