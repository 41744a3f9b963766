// Placeholder registration: the `sim` command is not implemented yet.
#include "daemon/cli/command.h"

#include <fmt/core.h>

namespace bsched::cli {

void add_sim_command(CLI::App& root, Action& chosen) {
  auto* cmd = root.add_subcommand("sim", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&chosen] {
    chosen = [] {
      fmt::print(stderr, "boomi-sched: 'sim' is not implemented yet\n");
      return k_exit_failure;
    };
  });
}

}  // namespace bsched::cli
