// boomi-sched: one binary, many subcommands (product.md §1). Everything but this file lives
// in the bsched library.
#include "config/escape.h"
#include "daemon/cli/command.h"

#include <fmt/core.h>

#include <exception>
#include <optional>
#include <string>

namespace {

// "unknown command 'bogus'" and the list of commands, when the first word names none;
// CLI11 alone would say "A subcommand is required".
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-') return std::nullopt;
  std::string word = argv[1];
  std::string list;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return std::nullopt;
    if (sub->get_group().empty()) continue;  // hidden
    list += fmt::format("  {:<10} {}\n", sub->get_name(),
                        sub->get_description().substr(0, sub->get_description().find(';')));
  }
  return fmt::format("boomi-sched: unknown command '{}'\ncommands:\n{}Run 'boomi-sched COMMAND "
                     "--help' for a command's options.\n",
                     bsched::escape_text(word), list);
}

}  // namespace

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
  add_import_command(app, chosen);
  add_store_command(app, chosen);
  add_complete_command(app, chosen);

  if (auto unknown = unknown_command(app, argc, argv)) {
    fmt::print(stderr, "{}", *unknown);
    return k_exit_usage;
  }
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
