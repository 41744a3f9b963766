// `boomi-sched validate [--config PATH] [--verbose] [--print] [--no-secret]` (product.md §1):
// loads the configuration exactly as the daemon would and reports every problem.
#include "config/loader.h"
#include "daemon/cli/command.h"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

// "2 errors in main.yaml", or by file when they are in several: "14 errors: 2 in
// main.yaml, 12 in jobs.d/sales.yaml".
std::string error_summary(const std::vector<config::Diagnostic>& diagnostics,
                          const std::string& main_path) {
  std::vector<std::pair<std::string, size_t>> by_file;  // in the order first seen
  size_t errors = 0;
  for (const auto& d : diagnostics) {
    if (d.warning) continue;
    ++errors;
    auto file = d.pos.file.empty() ? main_path : d.pos.file;
    auto it = std::find_if(by_file.begin(), by_file.end(),
                           [&](const auto& e) { return e.first == file; });
    if (it == by_file.end()) by_file.emplace_back(file, 1);
    else ++it->second;
  }
  if (by_file.size() <= 1) {
    return fmt::format("{} in {}", plural(errors, "error"),
                       by_file.empty() ? main_path : by_file.front().first);
  }
  std::string parts;
  for (const auto& [file, n] : by_file) {
    parts += fmt::format("{}{} in {}", parts.empty() ? "" : ", ", n, file);
  }
  return fmt::format("{}: {}", plural(errors, "error"), parts);
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
    config::print_diagnostics(stderr, loaded.error());
    fmt::print(stderr, "validate: {}\n", error_summary(loaded.error(), path));
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
                  std::string(k_config_help) + "; jobs.d/*.yaml beside it is read too");
  cmd->add_flag("--verbose,-v", opts->verbose, "also list every job's next fire instant");
  cmd->add_flag("--print", opts->print,
                "print the effective configuration (defaults applied, token redacted) as YAML");
  cmd->add_flag("--no-secret", opts->no_secret,
                "do not read the API token (check a configuration on a machine without it)");
  cmd->callback([&chosen, opts] { chosen = [opts] { return run_validate(*opts); }; });
}

}  // namespace bsched::cli
