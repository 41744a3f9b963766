// `boomi-sched validate [--config PATH] [--verbose] [--print] [--no-secret]` (product.md §1):
// loads the configuration exactly as the daemon would and reports every problem.
#include "config/loader.h"
#include "daemon/cli/command.h"

#include <fmt/core.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace bsched::cli {

namespace {

struct ValidateOptions {
  std::optional<std::string> config;
  bool verbose = false;
  bool print = false;
  bool no_secret = false;
};

std::string plural(size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

void print_next_fires(const config::Config& c) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const auto& job : c.jobs) {
    if (!job.enabled) {
      fmt::print("  {}  disabled\n", job.name);
      continue;
    }
    auto next = job.next_after(now);
    if (!next) {
      fmt::print("  {}  never fires again\n", job.name);
      continue;
    }
    fmt::print("  {}  next {} ({} {})\n", job.name, format_utc(*next),
               format_local_iso(*next, job.settings->zone), job.settings->timezone);
  }
}

int run_validate(const ValidateOptions& o) {
  auto path = config::resolve_config_path(o.config);
  auto loaded = config::load_config(path, {.read_secret = !o.no_secret});
  if (!loaded) {
    auto errors = config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "validate: {} in {}\n", plural(errors, "error"), path);
    return k_exit_failure;
  }
  config::print_diagnostics(stderr, loaded->warnings);
  const auto& c = *loaded->config;
  auto summary = fmt::format("ok: {} in {}{}", plural(c.jobs.size(), "job"),
                             plural(c.files.size(), "file"),
                             loaded->warnings.empty()
                                 ? ""
                                 : ", " + plural(loaded->warnings.size(), "warning"));
  if (o.print) {
    // stdout carries only the YAML so that it can be redirected into a file.
    fmt::print("{}", config::dump_config(c));
    fmt::print(stderr, "{}\n", summary);
    return k_exit_ok;
  }
  fmt::print("{}\n", summary);
  if (o.verbose) print_next_fires(c);
  return k_exit_ok;
}

}  // namespace

void add_validate_command(CLI::App& root, Action& chosen) {
  auto opts = std::make_shared<ValidateOptions>();
  auto* cmd = root.add_subcommand(
      "validate", "Load and check the configuration; print every problem as file:line:col");
  cmd->add_option("--config", opts->config,
                  "main configuration file (default: $BOOMI_SCHED_CONFIG, else "
                  "/etc/boomi-sched/boomi-sched.yaml); jobs.d/*.yaml beside it is read too");
  cmd->add_flag("--verbose,-v", opts->verbose, "also list every job's next fire instant");
  cmd->add_flag("--print", opts->print,
                "print the effective configuration (defaults applied, token redacted) as YAML");
  cmd->add_flag("--no-secret", opts->no_secret,
                "do not read the API token (check a configuration on a machine without it)");
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_validate(*opts); }; });
}

}  // namespace bsched::cli
