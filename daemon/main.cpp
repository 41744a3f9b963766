// boomi-sched: one binary, many subcommands (product.md §1). Everything but this file lives
// in the bsched library.
#include "daemon/cli/command.h"

#include <fmt/core.h>

#include <exception>

int main(int argc, char** argv) {
  using namespace bsched::cli;
  CLI::App app{"Scheduler for the Boomi Enterprise Platform: fires ExecutionRequests on cron-like\n"
               "schedules and tracks every run to its terminal status.",
               "boomi-sched"};
  app.set_version_flag("--version", "boomi-sched " BSCHED_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  Action chosen;
  add_run_command(app, chosen);
  add_validate_command(app, chosen);
  add_next_command(app, chosen);
  add_status_command(app, chosen);
  add_history_command(app, chosen);
  add_control_commands(app, chosen);
  add_exec_command(app, chosen);
  add_sim_command(app, chosen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return k_exit_usage;
  }
  if (!chosen) return k_exit_usage;
  try {
    return chosen();
  } catch (const std::exception& e) {
    // Last line of defence: modules turn their failures into messages themselves.
    fmt::print(stderr, "boomi-sched: unexpected internal error ({}); please report it\n", e.what());
    return k_exit_failure;
  }
}
