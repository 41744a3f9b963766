// Placeholder registration: the `run` command is not implemented yet.
#include "daemon/cli/command.h"

#include <fmt/core.h>

namespace bsched::cli {

void add_run_command(CLI::App& root, Action& chosen) {
  auto* cmd = root.add_subcommand("run", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&chosen] {
    chosen = [] {
      fmt::print(stderr, "boomi-sched: 'run' is not implemented yet\n");
      return k_exit_failure;
    };
  });
}

}  // namespace bsched::cli
