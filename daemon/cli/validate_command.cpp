// Placeholder registration: the `validate` command is not implemented yet.
#include "daemon/cli/command.h"

#include <fmt/core.h>

namespace bsched::cli {

void add_validate_command(CLI::App& root, Action& chosen) {
  auto* cmd = root.add_subcommand("validate", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([&chosen] {
    chosen = [] {
      fmt::print(stderr, "boomi-sched: 'validate' is not implemented yet\n");
      return k_exit_failure;
    };
  });
}

}  // namespace bsched::cli
