// `boomi-sched __complete (commands | flags COMMAND | jobs [--config P])`: the words the shell
// completion (scripts/boomi-sched.bash) offers, one a line, read from the command line's own
// definition, so the completion never lags behind it. Hidden from --help. Prints nothing on
// any problem: a completion must never spill errors into the operator's terminal.
#include "config/loader.h"
#include "daemon/cli/command.h"
#include "daemon/cli/open_state.h"
#include "daemon/status/status_support.h"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bsched::cli {

using namespace status;  // the status readers and formatters (daemon/status/)

namespace {

struct CompleteOptions {
  std::string what;
  std::string command;
  std::optional<std::string> config;
};

std::vector<const CLI::App*> visible_commands(const CLI::App& root) {
  std::vector<const CLI::App*> out;
  for (const auto* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
    if (!sub->get_group().empty()) out.push_back(sub);
  }
  return out;
}

// Prints the flags of `command` not in `printed` (and adds them there).
void print_flags(const CLI::App& command, std::vector<std::string>& printed) {
  for (const auto* opt : command.get_options()) {
    for (const auto& name : opt->get_lnames()) {
      if (std::find(printed.begin(), printed.end(), name) != printed.end()) continue;
      printed.push_back(name);
      fmt::print("--{}\n", name);
    }
  }
}

int run_complete(const CLI::App& root, const CompleteOptions& o) {
  if (o.what == "commands") {
    for (const auto* sub : visible_commands(root)) fmt::print("{}\n", sub->get_name());
  } else if (o.what == "flags") {
    for (const auto* sub : visible_commands(root)) {
      if (sub->get_name() != o.command) continue;
      std::vector<std::string> printed;
      print_flags(*sub, printed);
      // A command with commands of its own (`store copy`): their flags too.
      for (const auto* inner : sub->get_subcommands([](const CLI::App*) { return true; }))
        print_flags(*inner, printed);
    }
  } else if (o.what == "jobs") {
    auto path = resolve_config("__complete", o.config);  // the dev daemon's too
    auto loaded = config::load_config(path, {.read_secret = false});
    if (!loaded) return k_exit_failure;
    for (const auto& job : loaded->config->jobs) fmt::print("{}\n", job.name);
  } else {
    return k_exit_usage;
  }
  return k_exit_ok;
}

}  // namespace

void add_complete_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<CompleteOptions>();
  auto* cmd = root.add_subcommand("__complete", "words for the shell completion");
  cmd->group("");  // hidden
  cmd->add_option("what", opts->what, "commands, flags or jobs")->required();
  cmd->add_option("command", opts->command, "the command whose flags to list");
  cmd->add_option("--config", opts->config, "main configuration file");
  cmd->callback([&chosen, &root, opts] {
    chosen = [&root, opts] { return run_complete(root, *opts); };
  });
}

}  // namespace bsched::cli
