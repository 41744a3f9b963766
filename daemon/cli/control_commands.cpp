// Placeholder registration: trigger, pause and resume are not implemented yet.
#include "daemon/cli/command.h"

#include <fmt/core.h>

namespace bsched::cli {

void add_control_commands(CLI::App& root, Action& chosen) {
  for (const char* name : {"trigger", "pause", "resume"}) {
    auto* cmd = root.add_subcommand(name, "(not implemented yet)");
    cmd->allow_extras();
    cmd->callback([&chosen, name] {
      chosen = [name] {
        fmt::print(stderr, "boomi-sched: '{}' is not implemented yet\n", name);
        return k_exit_failure;
      };
    });
  }
}

}  // namespace bsched::cli
